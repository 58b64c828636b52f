// File: crdt/detail/dense_map.hpp
// DenseMap: a hash map whose entries live densely in a deque (blocks of contiguous entries), found
// through an open-addressing index of 8-byte slots (32 bits of hash, entry position + 1; 0 is
// empty), with linear probing and backward-shift deletion. Iteration and copies run at memory speed
// and one entry costs one vector element plus about 11 bytes of index. Erasing moves the last entry
// into the erased position: erase(it) returns an iterator to the entry now at that position, and
// invalidates iterators to the last entry. Keys must not be modified through an iterator.
#pragma once

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <stdexcept>
#include <tuple>
#include <utility>
#include <vector>

namespace converge::detail {

template <class K, class V, class Hash = std::hash<K>, class Equal = std::equal_to<K>>
class DenseMap {
  public:
    using key_type = K;
    using mapped_type = V;
    using value_type = std::pair<K, V>;
    using iterator = typename std::deque<value_type>::iterator;
    using const_iterator = typename std::deque<value_type>::const_iterator;

    std::size_t size() const noexcept { return entries_.size(); }
    bool empty() const noexcept { return entries_.empty(); }
    iterator begin() noexcept { return entries_.begin(); }
    iterator end() noexcept { return entries_.end(); }
    const_iterator begin() const noexcept { return entries_.begin(); }
    const_iterator end() const noexcept { return entries_.end(); }

    // Makes room for count entries without rebuilding the index.
    void reserve(std::size_t count) {
        if (slots_needed(count) > slots_.size()) rebuild(slots_needed(count));
    }

    iterator find(const K& key) {
        const std::size_t slot = locate(key, mix(key));
        return slot == npos ? end() : begin() + static_cast<std::ptrdiff_t>(position(slots_[slot]));
    }
    const_iterator find(const K& key) const {
        const std::size_t slot = locate(key, mix(key));
        return slot == npos ? end() : begin() + static_cast<std::ptrdiff_t>(position(slots_[slot]));
    }

    // Inserts (key, V(args...)) unless key is present; returns the entry and whether it is new.
    template <class Key, class... Args>
    std::pair<iterator, bool> try_emplace(Key&& key, Args&&... args) {
        const std::uint32_t hash = mix(key);
        const std::size_t found = locate(key, hash);
        if (found != npos)
            return {begin() + static_cast<std::ptrdiff_t>(position(slots_[found])), false};
        if (entries_.size() >= std::numeric_limits<std::uint32_t>::max() - 1)
            throw std::length_error("map holds the maximum number of entries");
        if (slots_needed(entries_.size() + 1) > slots_.size())
            rebuild(slots_needed(entries_.size() + 1));
        entries_.emplace_back(std::piecewise_construct,
                              std::forward_as_tuple(std::forward<Key>(key)),
                              std::forward_as_tuple(std::forward<Args>(args)...));
        slots_[free_slot(hash)] = pack(hash, entries_.size() - 1);
        return {end() - 1, true};
    }
    template <class Key, class Value>
    std::pair<iterator, bool> emplace(Key&& key, Value&& value) {
        return try_emplace(std::forward<Key>(key), std::forward<Value>(value));
    }

    // Removes the entry at it; the last entry moves into its place. Returns an iterator to the
    // entry now at that place (end() if it was the last).
    iterator erase(const_iterator it) {
        const std::size_t index = static_cast<std::size_t>(it - entries_.cbegin());
        const std::size_t last = entries_.size() - 1;
        assert(index <= last);
        remove_slot(slot_of(index));
        if (index != last) {
            slots_[slot_of(last)] = pack(mix(entries_[last].first), index);
            entries_[index] = std::move(entries_[last]);
        }
        entries_.pop_back();
        return begin() + static_cast<std::ptrdiff_t>(index);
    }

    void clear() noexcept {
        entries_.clear();
        std::fill(slots_.begin(), slots_.end(), 0);
    }

    friend bool operator==(const DenseMap& a, const DenseMap& b) {
        if (a.size() != b.size()) return false;
        for (const value_type& entry : a.entries_) {
            const auto it = b.find(entry.first);
            if (it == b.end() || !(it->second == entry.second)) return false;
        }
        return true;
    }

  private:
    static constexpr std::size_t npos = static_cast<std::size_t>(-1);

    static std::uint32_t mix(const K& key) {
        // Spread the hash (std::hash of an integer is the identity) and keep the high bits.
        const std::uint64_t h = static_cast<std::uint64_t>(Hash{}(key)) * 0x9E3779B97F4A7C15ull;
        return static_cast<std::uint32_t>(h >> 32);
    }
    static std::uint64_t pack(std::uint32_t hash, std::size_t index) {
        return (std::uint64_t{hash} << 32) | (static_cast<std::uint64_t>(index) + 1);
    }
    static std::uint32_t hash_of(std::uint64_t slot) {
        return static_cast<std::uint32_t>(slot >> 32);
    }
    static std::size_t position(std::uint64_t slot) {
        return static_cast<std::size_t>(slot & 0xFFFFFFFFu) - 1;
    }
    // At most 3/4 of the index is used; a power of two, at least 4.
    static std::size_t slots_needed(std::size_t count) {
        std::size_t slots = 4;
        while (count * 4 > slots * 3)
            slots *= 2;
        return slots;
    }
    std::size_t mask() const noexcept { return slots_.size() - 1; }
    std::size_t home(std::uint32_t hash) const noexcept { return hash & mask(); }

    std::size_t locate(const K& key, std::uint32_t hash) const {
        if (slots_.empty()) return npos;
        for (std::size_t i = home(hash);; i = (i + 1) & mask()) {
            const std::uint64_t s = slots_[i];
            if (s == 0) return npos;
            if (hash_of(s) == hash && Equal{}(entries_[position(s)].first, key)) return i;
        }
    }
    std::size_t free_slot(std::uint32_t hash) const {
        std::size_t i = home(hash);
        while (slots_[i] != 0)
            i = (i + 1) & mask();
        return i;
    }
    // The index slot that points at entry `index`.
    std::size_t slot_of(std::size_t index) const {
        for (std::size_t i = home(mix(entries_[index].first));; i = (i + 1) & mask()) {
            assert(slots_[i] != 0);
            if (position(slots_[i]) == index) return i;
        }
    }
    void remove_slot(std::size_t hole) {
        for (std::size_t j = (hole + 1) & mask(); slots_[j] != 0; j = (j + 1) & mask()) {
            const std::size_t want = home(hash_of(slots_[j]));
            // Move j back into the hole unless its home lies cyclically in (hole, j].
            const bool stays = hole <= j ? (hole < want && want <= j) : (hole < want || want <= j);
            if (!stays) {
                slots_[hole] = slots_[j];
                hole = j;
            }
        }
        slots_[hole] = 0;
    }
    // Re-indexes into slot_count slots from the hash bits the old slots keep (no key is rehashed).
    void rebuild(std::size_t slot_count) {
        std::vector<std::uint64_t> old(slot_count, 0);
        old.swap(slots_);
        for (const std::uint64_t s : old)
            if (s != 0) slots_[free_slot(hash_of(s))] = s;
    }

    std::deque<value_type> entries_;  // small blocks: growth never copies, memory is reused
    std::vector<std::uint64_t> slots_;
};

}  // namespace converge::detail
