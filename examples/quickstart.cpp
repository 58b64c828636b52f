// Two devices edit a shared shopping list while offline, then exchange their changes (as encoded
// deltas) and converge. Run: ./build/release/examples/converge_quickstart
#include <cstdio>
#include <string>
#include <vector>

#include <crdt/crdt.hpp>

using namespace converge;

namespace {

struct Device {
    const char* name;
    ReplicaId id;
    ORSet<std::string> list;         // what to buy: add-wins
    PNCounter budget;                // euros left
    LWWRegister<std::string> title;  // the list's name: last writer wins
    HybridClock clock;
    std::vector<std::string> outbox;  // encoded deltas waiting for the network

    Device(const char* device_name, ReplicaId replica)
        : name(device_name), id(replica), clock(replica) {}
};

void show(const Device& d) {
    std::string items;
    for (const std::string& item : d.list.elements())
        items += (items.empty() ? "" : ", ") + item;
    std::printf("  %-6s title=%-12s budget=%3lld  items=[%s]\n", d.name,
                d.title.value().value_or("(none)").c_str(),
                static_cast<long long>(d.budget.value()), items.c_str());
}

// Delivers every delta in from's outbox to `to` (its type is the first byte we tagged it with).
void deliver(Device& from, Device& to) {
    std::size_t bytes = 0;
    for (const std::string& message : from.outbox) {
        bytes += message.size();
        const std::string payload = message.substr(1);
        switch (message[0]) {
            case 'L':
                to.list.merge(decode<ORSet<std::string>>(payload));
                break;
            case 'B':
                to.budget.merge(decode<PNCounter>(payload));
                break;
            case 'T':
                to.title.merge(decode<LWWRegister<std::string>>(payload));
                break;
        }
    }
    std::printf("  %s -> %s: %zu deltas, %zu bytes\n", from.name, to.name, from.outbox.size(),
                bytes);
    from.outbox.clear();
}

template <class T>
std::string tagged(char tag, const T& delta) {
    return std::string(1, tag) + encode(delta);
}

}  // namespace

int main() {
    Device phone("phone", ReplicaId{1}), laptop("laptop", ReplicaId{2});

    std::puts("Both devices start from the same list:");
    for (const char* item : {"milk", "eggs", "bread"})
        phone.outbox.push_back(tagged('L', phone.list.add(phone.id, item)));
    phone.outbox.push_back(tagged('B', phone.budget.increment(phone.id, 50)));
    phone.outbox.push_back(tagged('T', phone.title.assign(phone.clock.now(1000), "Groceries")));
    deliver(phone, laptop);
    show(phone);
    show(laptop);

    std::puts("\nOffline, each edits its own copy:");
    phone.outbox.push_back(tagged('L', phone.list.remove("eggs")));  // phone drops eggs
    phone.outbox.push_back(tagged('L', phone.list.add(phone.id, "apples")));
    phone.outbox.push_back(tagged('B', phone.budget.decrement(phone.id, 12)));
    laptop.outbox.push_back(
        tagged('L', laptop.list.add(laptop.id, "eggs")));  // laptop re-adds eggs
    laptop.outbox.push_back(tagged('L', laptop.list.remove("bread")));
    laptop.outbox.push_back(tagged('B', laptop.budget.decrement(laptop.id, 5)));
    laptop.outbox.push_back(
        tagged('T', laptop.title.assign(laptop.clock.now(2000), "Weekend shop")));
    show(phone);
    show(laptop);

    std::puts("\nBack online, they exchange deltas:");
    deliver(phone, laptop);
    deliver(laptop, phone);
    show(phone);
    show(laptop);

    const bool converged =
        phone.list == laptop.list && phone.budget == laptop.budget && phone.title == laptop.title;
    std::printf(
        "\nconverged: %s (eggs kept: the laptop's concurrent add wins over the phone's remove)\n",
        converged ? "yes" : "NO");
    return converged ? 0 : 1;
}
