// File: crdt/gset.hpp
// GSet<T>: a grow-only set. Elements are added, never removed; merge is set union.
// T must be totally ordered (the set is kept sorted, which also makes its encoding canonical).
//
//   GSet<std::string> g;  g.add("x");  g.contains("x");   // true
// Thread-safety: a plain value type; const members may run concurrently, anything that changes
// it (a mutator, merge, assignment, decode into it) needs exclusive access.
#pragma once

#include <cassert>
#include <set>
#include <vector>

#include <crdt/codec/cereal_blob.hpp>
#include <crdt/detail/sorted_codec.hpp>

namespace converge {

template <class T>
class GSet : public codec::CerealSerializable<GSet<T>> {
  public:
    using value_type = T;

    GSet() = default;

    // Adds value and returns the delta (the value alone).
    GSet add(T value) {
        GSet delta;
        delta.elements_.insert(value);
        elements_.insert(std::move(value));
        return delta;
    }

    bool contains(const T& value) const { return elements_.count(value) != 0; }
    std::size_t size() const noexcept { return elements_.size(); }
    bool empty() const noexcept { return elements_.empty(); }
    // The elements in ascending order.
    std::vector<T> elements() const { return {elements_.begin(), elements_.end()}; }
    const std::set<T>& items() const noexcept { return elements_; }

    // The join: set union.
    void merge(const GSet& other) {
        elements_.insert(other.elements_.begin(), other.elements_.end());
        assert(elements_.size() >= other.elements_.size());
    }

    friend bool operator==(const GSet&, const GSet&) = default;

    void encode(codec::Writer& w) const { detail::encode_sorted_set(w, elements_); }
    static GSet decode(codec::Reader& r) {
        GSet out;
        out.elements_ = detail::decode_sorted_set<T>(r, "grow-only set elements");
        return out;
    }

  private:
    std::set<T> elements_;
};

}  // namespace converge
