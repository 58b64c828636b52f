// File: crdt/testing/arbitrary.hpp
// rapidcheck generators for every converge CRDT, so applications can property-test their own code
// with shrinking (link converge::testing).
//
//   RC_GTEST_PROP(MyApp, CartMergeIsOrderFree, (const ORSet<std::string>& a)) { ... }
//   auto h = *converge::testing::gen::history<ORSet<std::string>>(3);   // inside a property
//
// States come from random histories: random operations at a few replicas (ids 1 to 4) with random
// merges between them, so every generated state is reachable, and states of one history share a
// causal past (dots are unique across them), as the replicas of a real system do.
#pragma once

#include <concepts>
#include <cstdint>
#include <ostream>
#include <string>
#include <type_traits>
#include <vector>

#include <rapidcheck.h>

#include <crdt/crdt.hpp>

namespace converge::testing {

// a merged with b (a copy).
template <class T>
T joined(T a, const T& b) {
    a.merge(b);
    return a;
}

// One random operation, interpreted by each type (see apply_op): kind picks the mutator, element
// picks from a small domain so operations collide, amount sizes counters, physical/logical form
// timestamps.
struct Op {
    std::uint8_t kind = 0;
    std::uint8_t element = 0;
    std::uint8_t amount = 1;
    std::uint8_t physical = 0;
    std::uint8_t logical = 0;

    // A different op derived from this one, for the value nested inside an ORMap key.
    Op nested() const {
        return Op{static_cast<std::uint8_t>((kind + amount + element) % 4),
                  static_cast<std::uint8_t>((element * 7 + amount) % 6), amount, physical, logical};
    }
    friend std::ostream& operator<<(std::ostream& os, const Op& op) {
        return os << "Op{kind=" << int(op.kind) << " element=" << int(op.element)
                  << " amount=" << int(op.amount) << " t=" << int(op.physical) << "."
                  << int(op.logical) << "}";
    }
};

// Maps a small index to an element of type T. Specialise for your own element types.
template <class T>
struct Element {
    static T from_index(std::uint8_t index) {
        if constexpr (std::is_same_v<T, std::string>) {
            return std::string("e") + std::to_string(index);
        } else if constexpr (std::is_integral_v<T>) {
            return static_cast<T>(index);
        } else {
            static_assert(sizeof(T) == 0, "specialise converge::testing::Element<T> for this type");
        }
    }
};

inline Timestamp timestamp_of(const Op& op, ReplicaId replica) {
    return Timestamp{op.physical, op.logical, replica};
}

// Applies op to value as replica and returns the delta. One overload per type.
inline GCounter apply_op(GCounter& c, ReplicaId r, const Op& op) {
    return c.increment(r, op.amount);
}
inline PNCounter apply_op(PNCounter& c, ReplicaId r, const Op& op) {
    return op.kind % 2 == 0 ? c.increment(r, op.amount) : c.decrement(r, op.amount);
}
inline ResettableCounter apply_op(ResettableCounter& c, ReplicaId r, const Op& op) {
    if (op.kind == 3 && op.amount == 4) return c.expire(timestamp_of(op, r), op.element * 100u);
    if (op.kind == 3) return c.clear();
    return op.kind % 2 == 0 ? c.increment(r, op.amount) : c.decrement(r, op.amount);
}
template <class T, class H, class E>
ORSet<T, H, E> apply_op(ORSet<T, H, E>& s, ReplicaId r, const Op& op) {
    const T element = Element<T>::from_index(op.element);
    if (op.kind == 3 && op.amount == 5) return s.clear();
    return op.kind % 3 == 2 ? s.remove(element) : s.add(r, element);
}
template <class T, class H, class E>
ExpiringSet<T, H, E> apply_op(ExpiringSet<T, H, E>& s, ReplicaId r, const Op& op) {
    const T element = Element<T>::from_index(op.element);
    if (op.kind == 3 && op.amount == 5) return s.clear();
    if (op.kind == 3 && op.amount == 4) return s.expire(timestamp_of(op, r), op.element * 100u);
    return op.kind % 3 == 2 ? s.remove(element) : s.add(r, element);
}
template <class T>
LWWRegister<T> apply_op(LWWRegister<T>& x, ReplicaId r, const Op& op) {
    if (op.kind == 3) return x.reset(timestamp_of(op, r));
    return x.assign(timestamp_of(op, r), Element<T>::from_index(op.element));
}
template <class T>
MVRegister<T> apply_op(MVRegister<T>& x, ReplicaId r, const Op& op) {
    if (op.kind == 3 && op.amount == 5) return x.clear();
    return x.assign(r, Element<T>::from_index(op.element));
}
template <class T>
GSet<T> apply_op(GSet<T>& x, ReplicaId, const Op& op) {
    return x.add(Element<T>::from_index(op.element));
}
template <class T>
TwoPSet<T> apply_op(TwoPSet<T>& x, ReplicaId, const Op& op) {
    const T element = Element<T>::from_index(op.element);
    return op.kind % 3 == 2 ? x.remove(element) : x.add(element);
}
template <class T>
LWWElementSet<T> apply_op(LWWElementSet<T>& x, ReplicaId r, const Op& op) {
    const T element = Element<T>::from_index(op.element);
    return op.kind % 3 == 2 ? x.remove(timestamp_of(op, r), element)
                            : x.add(timestamp_of(op, r), element);
}
template <class K, class V, class H, class E>
ORMap<K, V, H, E> apply_op(ORMap<K, V, H, E>& m, ReplicaId r, const Op& op) {
    const K key = Element<K>::from_index(op.element % 4);
    if (op.kind == 3 && op.amount == 5) return m.clear();
    if (op.kind == 2) return m.remove(key);
    return m.apply(r, key, [&](V& value) { return apply_op(value, r, op.nested()); });
}

inline ORHash apply_op(ORHash& h, ReplicaId r, const Op& op) {
    // Fields 0-2 hold values, 3-5 counters, so no operation is refused.
    const std::string field = "f" + std::to_string(op.element);
    if (op.kind == 3 && op.amount == 5) return h.clear();
    if (op.kind == 3 && op.amount == 4) return h.expire(timestamp_of(op, r), op.element * 100u);
    if (op.kind % 3 == 2) return h.del(field);
    if (op.element < 3)
        return h.set(r, timestamp_of(op, r), field, "v" + std::to_string(op.amount));
    return h.increment(r, field, op.kind % 2 == 0 ? op.amount : -std::int64_t{op.amount});
}
inline SortedSet apply_op(SortedSet& z, ReplicaId r, const Op& op) {
    const std::string member = "m" + std::to_string(op.element % 4);
    if (op.kind == 3 && op.amount == 5) return z.clear();
    if (op.kind == 3 && op.amount == 4) return z.expire(timestamp_of(op, r), op.element * 100u);
    if (op.kind % 3 == 2) return z.remove(member);
    if (op.kind == 0) return z.add(r, timestamp_of(op, r), member, op.amount * 1.5);
    return z.increment(r, member, op.kind == 1 ? op.amount * 0.25 : -0.5 * op.amount);
}
inline HyperLogLog apply_op(HyperLogLog& v, ReplicaId r, const Op& op) {
    if (op.kind == 3 && op.amount == 5) return v.clear();
    if (op.kind == 3 && op.amount == 4) return v.expire(timestamp_of(op, r), op.element * 100u);
    return v.add(r, "e" + std::to_string(op.element * 37 + op.amount * 7 + op.physical));
}

// One step of a history: an operation at a replica, a merge of one replica's whole state into
// another's, or a merge of one earlier delta (any replica's, in any order: a partial merge, as a
// delta that overtook another leaves it).
struct Step {
    enum class Kind : std::uint8_t { op, merge, merge_delta };
    Kind kind = Kind::op;
    std::uint8_t replica = 0;  // index into the replicas
    std::uint8_t source = 0;   // merge: the replica whose state is merged in; merge_delta: which
                               // delta (modulo the deltas so far)
    Op op;

    friend std::ostream& operator<<(std::ostream& os, const Step& s) {
        switch (s.kind) {
            case Kind::merge:
                return os << "merge r" << int(s.source) << " into r" << int(s.replica);
            case Kind::merge_delta:
                return os << "merge delta #" << int(s.source) << " into r" << int(s.replica);
            case Kind::op:
                break;
        }
        return os << "r" << int(s.replica) << " " << s.op;
    }
};

// The outcome of a history: each replica's final state, and every delta the operations returned,
// in the order they were produced.
template <class T>
struct History {
    std::vector<T> replicas;
    std::vector<T> deltas;

    friend std::ostream& operator<<(std::ostream& os, const History& h) {
        for (std::size_t i = 0; i < h.replicas.size(); ++i)
            os << "\n  replica " << i + 1 << ": " << h.replicas[i];
        os << "\n  " << h.deltas.size() << " deltas";
        return os;
    }
};

// The ReplicaId of replica index i.
inline ReplicaId replica_id(std::size_t index) {
    return ReplicaId{index + 1};
}

// Runs steps on `count` replicas starting empty.
template <class T>
History<T> run_history(std::size_t count, const std::vector<Step>& steps) {
    History<T> h;
    h.replicas.resize(count);
    for (const Step& s : steps) {
        T& target = h.replicas[s.replica % count];
        switch (s.kind) {
            case Step::Kind::merge:
                target.merge(h.replicas[s.source % count]);
                break;
            case Step::Kind::merge_delta:
                if (!h.deltas.empty()) target.merge(h.deltas[s.source % h.deltas.size()]);
                break;
            case Step::Kind::op:
                h.deltas.push_back(apply_op(target, replica_id(s.replica % count), s.op));
                break;
        }
    }
    return h;
}

namespace gen {

// rapidcheck scales inRange by the generation size, and history() generates its steps at size 40:
// every field here is drawn at full size, so removes, clears and the last replica are drawn as
// often in a long history as in a short one. (Drawn at size 40, kind never reached 2 (remove) nor
// 3, element stayed below 3 and the replica index below 2: the laws never saw a removed element.)
template <class T>
rc::Gen<T> full_range(T min, T max) {
    return rc::gen::resize(100, rc::gen::inRange<T>(min, max));
}

inline rc::Gen<Op> op() {
    return rc::gen::construct<Op>(full_range<std::uint8_t>(0, 4), full_range<std::uint8_t>(0, 6),
                                  full_range<std::uint8_t>(1, 6), full_range<std::uint8_t>(0, 20),
                                  full_range<std::uint8_t>(0, 3));
}

// A step among count replicas: three operations to one merge of a whole state and one of a
// single delta, so replicas often see (and remove) what others hold while holding more.
inline rc::Gen<Step> step(std::size_t count) {
    return rc::gen::construct<Step>(
        rc::gen::weightedElement<Step::Kind>(
            {{3, Step::Kind::op}, {1, Step::Kind::merge}, {1, Step::Kind::merge_delta}}),
        full_range<std::uint8_t>(0, static_cast<std::uint8_t>(count)),
        full_range<std::uint8_t>(0, 255), op());
}

// A random history of up to 40 steps across `count` replicas (at most 255).
template <class T>
rc::Gen<History<T>> history(std::size_t count) {
    return rc::gen::map(
        rc::gen::resize(40, rc::gen::container<std::vector<Step>>(step(count))),
        [count](const std::vector<Step>& steps) { return run_history<T>(count, steps); });
}

// One reachable state of T.
template <class T>
rc::Gen<T> state() {
    return rc::gen::map(history<T>(3), [](const History<T>& h) { return h.replicas[0]; });
}

}  // namespace gen
}  // namespace converge::testing

namespace converge::testing {

// The types the generators above know how to build: every converge CRDT (over element types that
// Element<T> maps).
template <class T>
concept Generated = requires(T& value, ReplicaId replica, const Op& op) {
    { apply_op(value, replica, op) } -> std::same_as<T>;
};

}  // namespace converge::testing

namespace rc {

// rapidcheck's default generator for every converge CRDT: one reachable state.
template <class T>
requires converge::testing::Generated<T>
struct Arbitrary<T, void> {
    static Gen<T> arbitrary() { return converge::testing::gen::state<T>(); }
};

}  // namespace rc
