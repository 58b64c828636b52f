// File: crdt/mv_register.hpp
// MVRegister<T>: a multi-value register. A write replaces every value its replica has seen;
// concurrent writes are all kept until a later write, which has seen them, replaces them.
//
//   MVRegister<int> m;  m.assign(ReplicaId{1}, 1);  m.values();   // {1}
// Thread-safety: a plain value type; const members may run concurrently, anything that changes
// it (a mutator, merge, assignment, decode into it) needs exclusive access.
#pragma once

#include <algorithm>
#include <cassert>
#include <span>
#include <utility>
#include <vector>

#include <absl/container/inlined_vector.h>

#include <crdt/causal_context.hpp>
#include <crdt/codec/cereal_blob.hpp>
#include <crdt/codec/value_codec.hpp>
#include <crdt/detail/dot_set.hpp>
#include <crdt/detail/dot_store_codec.hpp>

namespace converge {

template <class T>
class MVRegister : public codec::CerealSerializable<MVRegister<T>> {
  public:
    using value_type = T;

    MVRegister() = default;

    // Writes value with a fresh dot of replica, replacing every value seen; returns the delta.
    MVRegister assign(ReplicaId replica, T value) {
        const Dot dot = context_.next_dot(replica);
        MVRegister delta;
        for (const auto& entry : entries_)
            delta.context_.insert(entry.dot);
        delta.context_.insert(dot);
        delta.entries_.push_back(Entry{dot, std::move(value)});
        entries_ = delta.entries_;
        context_.insert(dot);
        assert(entries_.size() == 1);
        return delta;
    }

    // The state change of assign without building its delta, for a caller that ships whole
    // states: value is moved in, never copied.
    void overwrite(ReplicaId replica, T value) {
        const Dot dot = context_.next_dot(replica);
        entries_.clear();
        entries_.push_back(Entry{dot, std::move(value)});
        context_.insert(dot);
    }

    // Removes every value seen (the register becomes empty) and returns the delta.
    MVRegister clear() {
        MVRegister delta;
        for (const auto& entry : entries_)
            delta.context_.insert(entry.dot);
        entries_.clear();
        return delta;
    }

    // The concurrent values, in the order of the dots that wrote them (the same on every replica).
    std::vector<T> values() const {
        std::vector<T> out;
        out.reserve(entries_.size());
        for (const auto& entry : entries_)
            out.push_back(entry.value);
        return out;
    }
    bool empty() const noexcept { return entries_.empty(); }

    // Calls fn(value) for each concurrent value, in dot order, without copying.
    template <class Fn>
    void for_each(Fn&& fn) const {
        for (const auto& entry : entries_)
            fn(entry.value);
    }

    // Calls fn(dot, value) for each concurrent value with the dot that wrote it, in dot order.
    template <class Fn>
    void for_each_dot(Fn&& fn) const {
        for (const auto& entry : entries_)
            fn(entry.dot, entry.value);
    }

    // The join: a value survives if both sides hold it or the other side has not seen its write.
    void merge(const MVRegister& other) {
        Entries merged;
        auto a = entries_.begin();
        auto b = other.entries_.begin();
        while (a != entries_.end() || b != other.entries_.end()) {
            if (b == other.entries_.end() || (a != entries_.end() && a->dot < b->dot)) {
                if (!other.context_.contains(a->dot)) merged.push_back(std::move(*a));
                ++a;
            } else if (a == entries_.end() || b->dot < a->dot) {
                if (!context_.contains(b->dot)) merged.push_back(*b);
                ++b;
            } else {
                merged.push_back(std::move(*a));
                ++a, ++b;
            }
        }
        entries_ = std::move(merged);
        context_.merge(other.context_);
    }

    // Whether merge(other) would change nothing: other saw no write this replica has not, and
    // holds every value here whose write it saw. No allocation.
    bool includes(const MVRegister& other) const {
        if (!context_.includes(other.context_)) return false;
        return std::all_of(entries_.begin(), entries_.end(), [&](const Entry& entry) {
            return !other.context_.contains(entry.dot) ||
                   std::any_of(other.entries_.begin(), other.entries_.end(),
                               [&](const Entry& theirs) { return theirs.dot == entry.dot; });
        });
    }

    const CausalContext& context() const noexcept { return context_; }
    std::uint64_t max_counter(ReplicaId replica) const noexcept { return context_.max(replica); }
    void advance_counter(ReplicaId replica, std::uint64_t counter) {
        context_.insert_up_to(replica, counter);
    }

    // Folds retired out of the causal context: afterwards it keeps retired's dots only up to the
    // highest one a live entry holds (so every live dot stays in the context), and nothing when
    // none does. Only once every replica has seen every dot of retired (crdt/retired_ids.hpp).
    void retire(ReplicaId retired) {
        std::uint64_t highest = 0;
        for (const auto& entry : entries_)
            if (entry.dot.replica == retired) highest = std::max(highest, entry.dot.counter);
        context_.fold_retired(retired, highest);
    }

    friend bool operator==(const MVRegister& a, const MVRegister& b) {
        return a.context_ == b.context_ && a.entries_ == b.entries_;
    }

    void encode(codec::Writer& w) const {
        context_.encode(w);
        typename codec::ValueCodec<T>::State state;
        detail::encode_dot_store(
            w, entries_, [](const Entry& e) { return std::span<const Dot>(&e.dot, 1); },
            [&](codec::Writer& out, const Entry& e) {
                codec::ValueCodec<T>::encode(out, e.value, state);
            });
    }
    static MVRegister decode(codec::Reader& r) {
        MVRegister out;
        out.context_ = CausalContext::decode(r);
        typename codec::ValueCodec<T>::State state;
        detail::decode_dot_store(r, out.context_, [&](codec::Reader& in, detail::DotSet&& dots) {
            if (dots.size() != 1) in.fail("a register value carries more than one dot");
            out.entries_.push_back(Entry{dots[0], codec::ValueCodec<T>::decode(in, state)});
        });
        return out;
    }

  private:
    // A value and the dot that wrote it. Entries are sorted by dot; one is kept inline, as a
    // register usually holds a single value (more only after concurrent writes).
    struct Entry {
        Dot dot;
        T value;
        friend bool operator==(const Entry&, const Entry&) = default;
    };
    using Entries = absl::InlinedVector<Entry, 1>;

    Entries entries_;
    CausalContext context_;
};

}  // namespace converge
