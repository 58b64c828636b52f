// A project outside converge using the installed package.
#include <cstdio>

#include <crdt/crdt.hpp>
#include <store/store.hpp>

int main() {
    using namespace converge;
    ORSet<std::string> a, b;
    b.merge(a.add(ReplicaId{1}, "x"));
    b.remove("x");
    a.merge(b);
    const auto copy = decode<ORSet<std::string>>(encode(a));

    store::Store s(store::Options{.replica = ReplicaId{1}});
    s.put("k", "v");
    s.counter("n").increment(2);
    const bool store_ok = s.get("k") == "v" && s.counter("n").value() == 2;

    std::printf("consumer: contains(x)=%d equal=%d store=%d\n", a.contains("x"), copy == a,
                store_ok);
    return (!a.contains("x") && copy == a && store_ok) ? 0 : 1;
}
