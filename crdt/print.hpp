// File: crdt/print.hpp
// Readable text for every converge type, for logs, test failures and rapidcheck counterexamples.
// Sets list elements sorted (when ordered) with their dots; strings are quoted.
//
//   std::cout << set;   // ORSet{"x"@1.3, "y"@2.1 | seen {1:3, 2:1}}
#pragma once

#include <ostream>
#include <string>
#include <type_traits>

#include <crdt/causal_context.hpp>
#include <crdt/dot.hpp>
#include <crdt/expiring_set.hpp>
#include <crdt/gcounter.hpp>
#include <crdt/gset.hpp>
#include <crdt/hyper_log_log.hpp>
#include <crdt/lww_element_set.hpp>
#include <crdt/lww_register.hpp>
#include <crdt/mv_register.hpp>
#include <crdt/or_hash.hpp>
#include <crdt/or_map.hpp>
#include <crdt/or_set.hpp>
#include <crdt/pn_counter.hpp>
#include <crdt/resettable_counter.hpp>
#include <crdt/sorted_set.hpp>
#include <crdt/timestamp.hpp>
#include <crdt/two_p_set.hpp>
#include <crdt/version_vector.hpp>

namespace converge {

namespace detail {

template <class T>
concept Streamable = requires(std::ostream& os, const T& value) {
    os << value;
};

// Writes value: strings quoted, anything streamable as itself, other types as <?>.
template <class T>
void print_value(std::ostream& os, const T& value) {
    if constexpr (std::is_same_v<T, std::string>)
        os << '"' << value << '"';
    else if constexpr (Streamable<T>)
        os << value;
    else
        os << "<?>";
}

template <class Range, class Fn>
void print_list(std::ostream& os, const Range& items, Fn&& print_item) {
    bool first = true;
    for (const auto& item : items) {
        if (!first) os << ", ";
        first = false;
        print_item(item);
    }
}

}  // namespace detail

inline std::ostream& operator<<(std::ostream& os, const ReplicaId& id) {
    return os << id.value;
}
inline std::ostream& operator<<(std::ostream& os, const Dot& d) {
    return os << d.replica.value << '.' << d.counter;
}
inline std::ostream& operator<<(std::ostream& os, const Timestamp& t) {
    return os << t.physical << '.' << t.logical << '/' << t.replica.value;
}
inline std::ostream& operator<<(std::ostream& os, const VersionVector& v) {
    os << '{';
    detail::print_list(os, v, [&](const auto& e) { os << e.replica.value << ':' << e.count; });
    return os << '}';
}
inline std::ostream& operator<<(std::ostream& os, const CausalContext& c) {
    os << c.compact();
    if (c.cloud_size() != 0) {
        os << " + [";
        bool first = true;
        for (const Dot* d = c.cloud_begin(); d != c.cloud_end(); ++d, first = false)
            os << (first ? "" : ", ") << *d;
        os << ']';
    }
    return os;
}
inline std::ostream& operator<<(std::ostream& os, const GCounter& g) {
    return os << "GCounter{" << g.value() << " " << g.slots() << '}';
}
inline std::ostream& operator<<(std::ostream& os, const PNCounter& p) {
    return os << "PNCounter{" << p.value() << " +" << p.increments().slots() << " -"
              << p.decrements().slots() << '}';
}
inline std::ostream& operator<<(std::ostream& os, const ResettableCounter& c) {
    return os << "ResettableCounter{" << c.value() << " +" << c.totals().increments().slots()
              << " -" << c.totals().decrements().slots() << " reset +"
              << c.baselines().increments().slots() << " -" << c.baselines().decrements().slots()
              << "}";
}
namespace detail {
// Each element of s (an ORSet or ExpiringSet) with its dots: "x"@1.3, "y"@2.1.
template <class Set>
void print_dotted_elements(std::ostream& os, const Set& s) {
    print_list(os, s.elements(), [&](const typename Set::value_type& x) {
        print_value(os, x);
        for (const Dot& d : s.dots(x))
            os << '@' << d;
    });
}
}  // namespace detail

template <class T, class H, class E>
std::ostream& operator<<(std::ostream& os, const ORSet<T, H, E>& s) {
    os << "ORSet{";
    detail::print_dotted_elements(os, s);
    return os << " | seen " << s.context() << '}';
}
template <class T>
std::ostream& operator<<(std::ostream& os, const LWWRegister<T>& r) {
    os << "LWWRegister{";
    if (r.value())
        detail::print_value(os, *r.value());
    else
        os << "empty";
    return os << " @" << r.timestamp() << '}';
}
template <class T>
std::ostream& operator<<(std::ostream& os, const MVRegister<T>& m) {
    os << "MVRegister{";
    detail::print_list(os, m.values(), [&](const T& v) { detail::print_value(os, v); });
    return os << " | seen " << m.context() << '}';
}
template <class T>
std::ostream& operator<<(std::ostream& os, const GSet<T>& g) {
    os << "GSet{";
    detail::print_list(os, g.items(), [&](const T& v) { detail::print_value(os, v); });
    return os << '}';
}
template <class T>
std::ostream& operator<<(std::ostream& os, const TwoPSet<T>& s) {
    os << "TwoPSet{";
    detail::print_list(os, s.elements(), [&](const T& v) { detail::print_value(os, v); });
    return os << " | " << s.tombstones() << " removed}";
}
template <class T>
std::ostream& operator<<(std::ostream& os, const LWWElementSet<T>& s) {
    os << "LWWElementSet{";
    detail::print_list(os, s.elements(), [&](const T& v) {
        detail::print_value(os, v);
        os << " +" << *s.stamps(v).added;
    });
    return os << '}';
}
template <class K, class V, class H, class E>
std::ostream& operator<<(std::ostream& os, const ORMap<K, V, H, E>& m) {
    os << "ORMap{";
    detail::print_list(os, m.keys(), [&](const K& key) {
        detail::print_value(os, key);
        os << ": ";
        detail::print_value(os, *m.get(key));
    });
    return os << " | seen " << m.context() << '}';
}

namespace detail {
// " | expires at MS (set T)" or " | never expires (set T)"; nothing when never set.
inline std::ostream& print_deadline(std::ostream& os, const Deadline& d) {
    if (d.unset()) return os;
    if (d.expires_ms == 0)
        os << " | never expires";
    else
        os << " | expires at " << d.expires_ms;
    return os << " (set " << d.set_at << ')';
}
}  // namespace detail

template <class T, class H, class E>
std::ostream& operator<<(std::ostream& os, const ExpiringSet<T, H, E>& s) {
    os << "ExpiringSet{";
    detail::print_dotted_elements(os, s);
    return detail::print_deadline(os, s.deadline()) << " | seen " << s.context() << '}';
}
inline std::ostream& operator<<(std::ostream& os, const ORHash& h) {
    os << "ORHash{";
    detail::print_list(os, h.fields(), [&](const auto& f) {
        os << '"' << f.first << "\": " << (h.is_counter(f.first) ? "" : "\"") << f.second
           << (h.is_counter(f.first) ? "" : "\"");
    });
    return detail::print_deadline(os, h.deadline()) << " | seen " << h.context() << '}';
}
inline std::ostream& operator<<(std::ostream& os, const SortedSet& z) {
    os << "SortedSet{";
    detail::print_list(os, z.members(),
                       [&](const auto& m) { os << '"' << m.first << "\": " << m.second; });
    return detail::print_deadline(os, z.deadline()) << " | seen " << z.context() << '}';
}
inline std::ostream& operator<<(std::ostream& os, const HyperLogLog& v) {
    os << "HyperLogLog{~" << v.count() << ", " << v.entry_count() << " entries";
    return detail::print_deadline(os, v.deadline()) << " | seen " << v.context() << '}';
}

}  // namespace converge
