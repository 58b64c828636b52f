// File: sim/record_model.hpp
// RecordModel: the oracle's reference model of one hash, sorted set or HyperLogLog key, built from
// the operations alone (docs/semantics.md), not from the CRDT's merge.
//
// A hash field or sorted set member shows its puts (a hash set, a zset add) that no later put or
// remove of it observed, and its increments that no put or remove observed (an operation observed
// what its replica had seen: the dots in its key's causal context just before). A hash field with
// such an increment is a counter: the sum of them; else the surviving put with the greatest
// timestamp. A sorted set member's score is its surviving put's (greatest timestamp; 0 if none)
// plus its surviving increments. A HyperLogLog's registers are the maximum of every add's.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <crdt/hyper_log_log.hpp>
#include <sim/scenario.hpp>
#include <sim/value.hpp>
#include <store/keyspace/key_inspection.hpp>

namespace converge::sim {

class RecordModel {
  public:
    // op (a hash, zset or hll operation) ran under writer and changed its key from before to
    // after. Returns what is wrong with what it did ("" when nothing): an operation that left no
    // new dot where it must.
    std::string operation(const Op& op, ReplicaId writer,
                          const std::optional<store::KeyInspection>& before,
                          const store::KeyInspection& after);
    // What every replica must show at the end, if every writer's operations are all present.
    FinalValue expected(OpType type) const;
    // The writer ids of every operation.
    const std::set<ReplicaId>& writers() const noexcept { return writers_; }

  private:
    struct Entry {
        bool increment = false;
        std::string value;   // a hash set's value
        double score = 0;    // a zset add's score, or a zset increment
        std::int64_t n = 0;  // a hash increment
        Timestamp written;   // a put's stamp
        bool reset = false;  // a later put or remove observed it
    };
    struct Member {
        std::map<Dot, Entry> entries;
    };

    std::map<std::string, Member> members_;
    HyperLogLog::Registers registers_{};
    std::set<ReplicaId> writers_;
};

}  // namespace converge::sim
