// A project outside converge using the installed package.
#include <cstdio>

#include <crdt/crdt.hpp>

int main() {
    using namespace converge;
    ORSet<std::string> a, b;
    b.merge(a.add(ReplicaId{1}, "x"));
    b.remove("x");
    a.merge(b);
    const auto copy = decode<ORSet<std::string>>(encode(a));
    std::printf("consumer: contains(x)=%d equal=%d\n", a.contains("x"), copy == a);
    return (!a.contains("x") && copy == a) ? 0 : 1;
}
