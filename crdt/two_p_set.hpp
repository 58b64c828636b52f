// File: crdt/two_p_set.hpp
// TwoPSet<T>: a two-phase set. An element can be added, then removed once, and never re-added:
// removal wins over every add. Removed elements stay as tombstones (that is the type's price; use
// ORSet when elements come and go). T must be totally ordered.
//
//   TwoPSet<int> s;  s.add(1);  s.remove(1);  s.add(1);  s.contains(1);   // false
// Thread-safety: a plain value type; const members may run concurrently, anything that changes
// it (a mutator, merge, assignment, decode into it) needs exclusive access.
#pragma once

#include <set>
#include <vector>

#include <crdt/codec/cereal_blob.hpp>
#include <crdt/detail/sorted_codec.hpp>

namespace converge {

template <class T>
class TwoPSet : public codec::CerealSerializable<TwoPSet<T>> {
  public:
    using value_type = T;

    TwoPSet() = default;

    // Adds value unless it was ever removed; returns the delta (empty when nothing changed).
    TwoPSet add(T value) {
        TwoPSet delta;
        if (removed_.count(value) != 0) return delta;
        delta.added_.insert(value);
        added_.insert(std::move(value));
        return delta;
    }

    // Removes value if this replica has seen it added; returns the delta (empty otherwise).
    TwoPSet remove(const T& value) {
        TwoPSet delta;
        if (added_.count(value) == 0 || removed_.count(value) != 0) return delta;
        delta.removed_.insert(value);
        removed_.insert(value);
        return delta;
    }

    bool contains(const T& value) const {
        return added_.count(value) != 0 && removed_.count(value) == 0;
    }
    std::size_t size() const noexcept {
        std::size_t n = 0;
        for (const T& v : added_)
            n += removed_.count(v) == 0 ? 1 : 0;
        return n;
    }
    // The live elements in ascending order.
    std::vector<T> elements() const {
        std::vector<T> out;
        for (const T& v : added_)
            if (removed_.count(v) == 0) out.push_back(v);
        return out;
    }
    // Number of removed elements kept as tombstones.
    std::size_t tombstones() const noexcept { return removed_.size(); }

    // The join: union of adds and union of removes.
    void merge(const TwoPSet& other) {
        added_.insert(other.added_.begin(), other.added_.end());
        removed_.insert(other.removed_.begin(), other.removed_.end());
    }

    friend bool operator==(const TwoPSet&, const TwoPSet&) = default;

    void encode(codec::Writer& w) const {
        detail::encode_sorted_set(w, added_);
        detail::encode_sorted_set(w, removed_);
    }
    static TwoPSet decode(codec::Reader& r) {
        TwoPSet out;
        out.added_ = detail::decode_sorted_set<T>(r, "two-phase set adds");
        out.removed_ = detail::decode_sorted_set<T>(r, "two-phase set removes");
        return out;
    }

  private:
    std::set<T> added_;
    std::set<T> removed_;
};

}  // namespace converge
