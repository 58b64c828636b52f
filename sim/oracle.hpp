// File: sim/oracle.hpp
// The oracle: a reference model that records the causal history of every operation (the dot each
// add or write created, the dots each remove, delete or overwrite observed, each replica's
// counter increments) and checks replicas against it.
//
// While the run goes (check): every live dot is one the model issued, for the member or value
// its operation wrote; a replica's causal context never shrinks and a dot it dropped never comes
// back; each counter slot is a prefix sum of its replica's operations and never goes down; two
// replicas with the same causal state show the same value.
// At the end, once converged (check_final): a set holds exactly the members with an add no remove
// observed; a value is the live write with the greatest (timestamp, replica); a counter is the
// sum of its operations. Operations of a replica that lost its storage, or is down at the end,
// may be missing only if nobody received them; every other operation is present (nothing
// durably acknowledged is lost across a crash).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <crdt/retired_ids.hpp>
#include <sim/duration.hpp>
#include <sim/record_model.hpp>
#include <sim/scenario.hpp>
#include <sim/value.hpp>
#include <store/keyspace/key_inspection.hpp>

namespace converge::sim {

// The operation type that makes a key of this type.
OpType op_type(store::KeyInspection::Type type);

class Oracle {
  public:
    explicit Oracle(std::uint64_t seed) : seed_(seed) {}

    // op ran on replica name, whose store writes under writer, at now and changed its key from
    // before to after.
    void operation(Micros now, const std::string& replica, ReplicaId writer, const Op& op,
                   const std::optional<store::KeyInspection>& before,
                   const store::KeyInspection& after);
    // One replica's states of the keys that may have changed since its last check (every key it
    // holds, the first time), for the checks made while the run goes. slot names the replica's
    // place (a restart without storage calls forget(slot) first).
    using Keys = std::unordered_map<std::string, store::KeyInspection>;
    void check(Micros now, std::size_t slot, const std::string& replica, const Keys& keys);
    // The same for one key. retired: the writers that replica has folded out of its keys (their
    // dots may leave a context: docs/replicas.md); null: none.
    void check_key(Micros now, std::size_t slot, const std::string& replica, const std::string& key,
                   const store::KeyInspection& state, const RetiredIds* retired = nullptr);
    void forget(std::size_t slot);
    // Replicas with equal causal state of a key must show equal values: visible(slot, type) is
    // what the replica in slot shows. Checks the keys whose state changed on some replica since
    // the last call. Values that can expire are left out (replica clocks differ).
    using Visible = std::function<FinalValue(std::size_t slot, const std::string& key,
                                             store::KeyInspection::Type type)>;
    void check_same_state_same_value(Micros now, const std::vector<std::size_t>& slots,
                                     const std::vector<std::string>& names, const Visible& visible);

    // The final check of one live replica's key. durable(writer): whether every operation written
    // under that writer id must be present (its replica kept its storage and is up at the end).
    void check_final(Micros now, const std::string& replica, const std::string& key,
                     const std::optional<store::KeyInspection>& state, const FinalValue& visible,
                     const std::function<bool(ReplicaId)>& durable);
    // Every key an operation touched, sorted, and the type of the first operation on key.
    std::vector<std::string> keys() const;
    OpType type_of(const std::string& key) const;

    // What went wrong, each with the seed, virtual time, replicas and keys; at most 20 in full,
    // then a count of the rest.
    std::vector<std::string> violations() const;

  private:
    struct Write {
        std::string bytes;  // the member or value
        Timestamp written;  // a value's stamp
        std::string replica;
        Micros at = 0;
    };
    struct PrefixSums {
        std::vector<std::uint64_t> increments{0}, decrements{0};  // after each operation
    };
    struct KeyModel {
        std::set<OpType> types;
        std::unordered_map<Dot, Write> writes;  // adds and puts by dot
        // Who observed each dot: a remove, del, put, or an add of the same member.
        std::unordered_map<Dot, std::vector<ReplicaId>> observed;
        std::map<ReplicaId, PrefixSums> counts;
    };

    void violation(Micros now, const std::string& what);
    // operation's part for a hash, zset or hll key: the dots it made and observed, and the
    // record model.
    void record_operation(Micros now, const std::string& replica, ReplicaId writer, const Op& op,
                          const std::optional<store::KeyInspection>& before,
                          const store::KeyInspection& after, KeyModel& m);
    // check_final's part for a hash, zset or hll key.
    void check_final_record(Micros now, const std::string& where, const std::string& key,
                            OpType type, const FinalValue& visible,
                            const std::function<bool(ReplicaId)>& durable);
    // The checks of a key whose state on replica differs from last (null: not seen before).
    void check_changed(Micros now, const std::string& replica, const std::string& key,
                       const store::KeyInspection& state, const store::KeyInspection* last,
                       const RetiredIds* retired);
    void check_dots(Micros now, const std::string& replica, const std::string& key,
                    const KeyModel& model, const store::KeyInspection& state);
    // check_dots for one live entry of state.
    void check_live(Micros now, const std::string& replica, const std::string& key,
                    const KeyModel& model, const store::KeyInspection& state,
                    const store::KeyInspection::Live& live);
    // The final checks, by the key's type (check_final).
    void check_final_counter(Micros now, const std::string& where, const KeyModel& model,
                             const store::KeyInspection& s, const FinalValue& visible,
                             const std::function<bool(ReplicaId)>& durable);
    void check_final_writes(Micros now, const std::string& where, const KeyModel& model,
                            const store::KeyInspection& s,
                            const std::function<bool(ReplicaId)>& durable);
    void check_final_set(Micros now, const std::string& where, const store::KeyInspection& s,
                         const FinalValue& visible);
    void check_final_value(Micros now, const std::string& where, const KeyModel& model,
                           const store::KeyInspection& s, const FinalValue& visible);
    void check_counts(Micros now, const std::string& replica, const std::string& key,
                      const KeyModel& model, const store::KeyInspection& state,
                      const store::KeyInspection* previous);

    std::uint64_t seed_;
    std::unordered_map<std::string, KeyModel> keys_;
    std::unordered_map<std::string, RecordModel> records_;  // hash, zset and hll keys
    // Each key's state on each replica as last checked, by slot.
    std::unordered_map<std::string, std::vector<std::optional<store::KeyInspection>>> seen_;
    std::set<std::string> changed_;  // keys whose state changed on some replica
    std::vector<std::string> violations_;
    std::size_t more_violations_ = 0;
};

}  // namespace converge::sim
