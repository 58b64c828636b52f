// File: store/keyspace/delta_log.hpp
// DeltaLog: one lock stripe's log of changed keys, the source of the deltas a replica sends. It is
// intrusive: a changed key's entry (LogEntry, a base of its Slot) is linked at the tail with a
// fresh position, so a key changed many times before a peer acknowledges it is sent once, its
// changes joined. Positions only grow; the floor is the greatest position that has left the log:
// a peer that has not acknowledged up to it needs a digest repair instead.
//
// A key changed again after its joined delta went out to every peer does not keep joining into
// it (a key changed all the time would otherwise send all its changes since it entered the log in
// every round): the delta is *sealed*, left at its position in a SealedEntry of its own until
// every peer acknowledges it, and the key starts a fresh delta at a new position. A peer that
// lost the sealed delta's message is sent it again from the log like any entry.
//
// Not thread-safe: every call is made under its stripe's lock (exclusive to change it).
#pragma once

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include <store/keyspace/value.hpp>

namespace converge::store::detail {

struct LogEntry {
    std::uint64_t position = 0;  // in the log; 0: not in it
    LogEntry* prev = nullptr;
    LogEntry* next = nullptr;
    // The join of a set's, counter's, hash's, sorted set's or HyperLogLog's deltas since it entered
    // the log or was last sealed (registers are small and travel whole).
    std::unique_ptr<Value> delta;
    // Estimated bytes this entry adds to the log; whether it is a SealedEntry. (Last: a derived
    // class packs into the padding after them.)
    std::uint32_t log_bytes : 31 = 0;
    std::uint32_t sealed : 1 = 0;
};

// A key's delta sealed at the position it was sent from (see above); key is its slot's name (a
// slot never moves, so the bytes stay put).
struct SealedEntry : LogEntry {
    std::string_view key;
    std::size_t index = 0;  // in the log's list of the sealed entries it owns
};

class DeltaLog {
  public:
    DeltaLog() = default;
    DeltaLog(const DeltaLog&) = delete;
    DeltaLog& operator=(const DeltaLog&) = delete;

    // Links entry at the tail at a new position (moving it there if it is in the log already: its
    // earlier position is superseded, not lost); bytes is its new estimated size (counted up to
    // 2^31 - 1).
    void touch(LogEntry& entry, std::uint32_t bytes) {
        assert(!entry.sealed);
        bytes = std::min<std::uint32_t>(bytes, INT32_MAX);
        if (entry.position != 0) unlink(entry);
        entry.position = ++head_;
        entry.prev = tail_;
        entry.next = nullptr;
        (tail_ ? tail_->next : first_) = &entry;
        tail_ = &entry;
        entry.log_bytes = bytes & 0x7fffffffu;
        bytes_ += bytes;
        ++count_;
        assert(count_ <= head_ && "more entries than positions handed out");
    }
    // Takes entry out of the log (a sealed one is freed); the floor rises to its position.
    void remove(LogEntry& entry) {
        if (entry.position > floor_) floor_ = entry.position;
        unlink(entry);
        if (entry.sealed) {
            release(static_cast<SealedEntry&>(entry).index);
            return;
        }
        entry.position = 0;
        entry.log_bytes = 0;
        entry.delta.reset();
    }
    // Leaves entry's delta (there must be one) at its position in a SealedEntry for key, and takes
    // entry out of the log, with no delta: its next touch gives it a fresh position.
    void seal(LogEntry& entry, std::string_view key) {
        assert(entry.position != 0 && entry.delta && !entry.sealed);
        auto sealed = std::make_unique<SealedEntry>();
        sealed->position = entry.position;
        sealed->prev = entry.prev;
        sealed->next = entry.next;
        sealed->delta = std::move(entry.delta);
        sealed->log_bytes = entry.log_bytes;
        sealed->sealed = 1;
        sealed->key = key;
        sealed->index = sealed_.size();
        (entry.prev ? entry.prev->next : first_) = sealed.get();
        (entry.next ? entry.next->prev : tail_) = sealed.get();
        entry.prev = entry.next = nullptr;
        entry.position = 0;
        entry.log_bytes = 0;
        sealed_.push_back(std::move(sealed));  // the log owns it until remove()
    }
    // A change that no peer will be sent (there is none): it takes a position and the floor moves
    // past it, so a peer added later is repaired.
    void pass_over(LogEntry& entry) {
        if (entry.position != 0) remove(entry);
        floor_ = ++head_;
    }
    // Drops the oldest entries (never keep) while the log holds more than max_entries or
    // max_bytes; returns how many it dropped.
    std::size_t trim(const LogEntry* keep, std::size_t max_entries, std::size_t max_bytes) {
        std::size_t dropped = 0;
        while (first_ != nullptr && first_ != keep &&
               (count_ > max_entries || bytes_ > max_bytes)) {
            remove(*first_);
            ++dropped;
        }
        return dropped;
    }
    // Drops every entry at or below position (every peer has acknowledged it).
    void collect(std::uint64_t position) {
        while (first_ != nullptr && first_->position <= position)
            remove(*first_);
    }
    // Positions 1..position stand for a state recovered from storage: no entry holds them.
    void restart_at(std::uint64_t position) {
        assert(first_ == nullptr && head_ == 0 && "restart_at on a log in use");
        head_ = floor_ = position;
    }

    // Calls fn(entry) for each entry above position, newest first.
    template <class Fn>
    void for_each_after(std::uint64_t position, Fn&& fn) const {
        for (const LogEntry* e = tail_; e != nullptr && e->position > position; e = e->prev)
            fn(*e);
    }
    std::uint64_t head() const noexcept { return head_; }  // the last position handed out
    std::uint64_t floor() const noexcept { return floor_; }
    std::size_t count() const noexcept { return count_; }
    std::size_t sealed() const noexcept { return sealed_.size(); }  // sealed entries in the log
    std::size_t bytes() const noexcept { return bytes_; }

  private:
    void unlink(LogEntry& entry) {
        assert(entry.position != 0 && count_ > 0 && "unlink of an entry not in the log");
        (entry.prev ? entry.prev->next : first_) = entry.next;
        (entry.next ? entry.next->prev : tail_) = entry.prev;
        entry.prev = entry.next = nullptr;
        --count_;
        bytes_ -= entry.log_bytes;
    }

    LogEntry* first_ = nullptr;
    LogEntry* tail_ = nullptr;
    std::uint64_t head_ = 0;
    std::uint64_t floor_ = 0;
    std::size_t count_ = 0;
    std::size_t bytes_ = 0;
    // The sealed entries, which the log owns (the others are their slots').
    std::vector<std::unique_ptr<SealedEntry>> sealed_;

    // Frees sealed_[i] (already unlinked), moving the last one into its place.
    void release(std::size_t i) {
        assert(i < sealed_.size());
        if (i + 1 != sealed_.size()) {
            sealed_[i] = std::move(sealed_.back());
            sealed_[i]->index = i;
        }
        sealed_.pop_back();
    }
};

}  // namespace converge::store::detail
