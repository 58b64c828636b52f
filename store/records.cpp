// Store::Hash, Store::SortedSet and Store::HyperLogLog: the typed accessors of a store's hashes,
// sorted sets and HyperLogLogs. Each change's delta joins its key's in the log, and peers are sent
// that join, not the whole key.
#include <store/store_impl.hpp>

namespace converge::store {

namespace {

// Log size estimates: key-independent bytes a change adds to the next message.
constexpr std::size_t change_bytes = 24;

}  // namespace

bool Store::Hash::clear() {
    Impl& s = *store_.impl_;
    return s.clear_whole<ORHash>(key_, s.counters.hash_ops, ChangeKind::hash);
}

bool Store::SortedSet::clear() {
    Impl& s = *store_.impl_;
    return s.clear_whole<converge::SortedSet>(key_, s.counters.sorted_set_ops,
                                              ChangeKind::sorted_set);
}

bool Store::HyperLogLog::clear() {
    Impl& s = *store_.impl_;
    return s.clear_whole<converge::HyperLogLog>(key_, s.counters.hyperloglog_ops,
                                                ChangeKind::hyperloglog);
}

bool Store::Hash::set(std::string field, std::string value) {
    Impl& s = *store_.impl_;
    const bool added =
        s.mutate<ORHash>(key_, IfAbsent::create, false, [&](ORHash& h, Impl::Touched& t) {
            const bool absent = !h.contains(field);
            t.bytes = change_bytes + field.size() + value.size();
            t.delta = h.set(s.lifecycle.writer(), s.clock.tick(), field, std::move(value));
            t.changed = true;
            return absent;
        });
    detail::bump(s.counters.hash_ops);
    if (s.retirements.any()) s.retirements.refold(key_);
    s.notify(key_, ChangeKind::hash);
    return added;
}

std::optional<std::string> Store::Hash::get(std::string_view field) {
    Impl& s = *store_.impl_;
    detail::bump(s.counters.hash_ops);
    return s.read<ORHash>(
        key_, [&](const ORHash* h) { return h == nullptr ? std::nullopt : h->get(field); });
}

bool Store::Hash::del(std::string_view field) {
    Impl& s = *store_.impl_;
    const bool removed =
        s.mutate<ORHash>(key_, IfAbsent::skip, false, [&](ORHash& h, Impl::Touched& t) {
            if (!h.contains(field)) return false;
            t.delta = s.forget_deadline_if_emptied(h, h.del(field));
            t.bytes = change_bytes + field.size();
            t.changed = true;
            return true;
        });
    detail::bump(s.counters.hash_ops);
    if (removed && s.retirements.any()) s.retirements.refold(key_);
    if (removed) s.notify(key_, ChangeKind::hash);
    return removed;
}

std::int64_t Store::Hash::increment(std::string field, std::int64_t n) {
    Impl& s = *store_.impl_;
    const std::int64_t result =
        s.mutate<ORHash>(key_, IfAbsent::create, std::int64_t{0}, [&](ORHash& h, Impl::Touched& t) {
            t.delta = h.increment(s.lifecycle.writer(), field, n);
            t.bytes = change_bytes + field.size();
            t.changed = true;
            return *h.counter(field);
        });
    detail::bump(s.counters.hash_ops);
    s.notify(key_, ChangeKind::hash);
    return result;
}

std::vector<std::pair<std::string, std::string>> Store::Hash::fields() {
    Impl& s = *store_.impl_;
    detail::bump(s.counters.hash_ops);
    return s.read<ORHash>(key_, [](const ORHash* h) {
        return h == nullptr ? std::vector<std::pair<std::string, std::string>>{} : h->fields();
    });
}

std::size_t Store::Hash::size() {
    Impl& s = *store_.impl_;
    detail::bump(s.counters.hash_ops);
    return s.read<ORHash>(key_, [](const ORHash* h) { return h == nullptr ? 0 : h->size(); });
}

bool Store::SortedSet::add(std::string member, double score) {
    Impl& s = *store_.impl_;
    const bool added = s.mutate<converge::SortedSet>(
        key_, IfAbsent::create, false, [&](converge::SortedSet& z, Impl::Touched& t) {
            const bool absent = !z.contains(member);
            t.bytes = change_bytes + member.size();
            t.delta = z.add(s.lifecycle.writer(), s.clock.tick(), member, score);
            t.changed = true;
            return absent;
        });
    detail::bump(s.counters.sorted_set_ops);
    if (s.retirements.any()) s.retirements.refold(key_);
    s.notify(key_, ChangeKind::sorted_set);
    return added;
}

double Store::SortedSet::increment(std::string member, double by) {
    Impl& s = *store_.impl_;
    const double result = s.mutate<converge::SortedSet>(
        key_, IfAbsent::create, 0.0, [&](converge::SortedSet& z, Impl::Touched& t) {
            t.delta = z.increment(s.lifecycle.writer(), member, by);
            t.bytes = change_bytes + member.size();
            t.changed = true;
            return *z.score(member);
        });
    detail::bump(s.counters.sorted_set_ops);
    s.notify(key_, ChangeKind::sorted_set);
    return result;
}

std::optional<double> Store::SortedSet::score(std::string_view member) {
    Impl& s = *store_.impl_;
    detail::bump(s.counters.sorted_set_ops);
    return s.read<converge::SortedSet>(key_, [&](const converge::SortedSet* z) {
        return z == nullptr ? std::nullopt : z->score(member);
    });
}

bool Store::SortedSet::remove(std::string_view member) {
    Impl& s = *store_.impl_;
    const bool removed = s.mutate<converge::SortedSet>(
        key_, IfAbsent::skip, false, [&](converge::SortedSet& z, Impl::Touched& t) {
            if (!z.contains(member)) return false;
            t.delta = s.forget_deadline_if_emptied(z, z.remove(member));
            t.bytes = change_bytes + member.size();
            t.changed = true;
            return true;
        });
    detail::bump(s.counters.sorted_set_ops);
    if (removed && s.retirements.any()) s.retirements.refold(key_);
    if (removed) s.notify(key_, ChangeKind::sorted_set);
    return removed;
}

std::vector<std::pair<std::string, double>> Store::SortedSet::range(std::int64_t start,
                                                                    std::int64_t stop) {
    Impl& s = *store_.impl_;
    detail::bump(s.counters.sorted_set_ops);
    return s.read<converge::SortedSet>(key_, [&](const converge::SortedSet* z) {
        return z == nullptr ? std::vector<std::pair<std::string, double>>{} : z->range(start, stop);
    });
}

std::optional<std::size_t> Store::SortedSet::rank(std::string_view member) {
    Impl& s = *store_.impl_;
    detail::bump(s.counters.sorted_set_ops);
    return s.read<converge::SortedSet>(key_, [&](const converge::SortedSet* z) {
        return z == nullptr ? std::nullopt : z->rank(member);
    });
}

std::size_t Store::SortedSet::size() {
    Impl& s = *store_.impl_;
    detail::bump(s.counters.sorted_set_ops);
    return s.read<converge::SortedSet>(
        key_, [](const converge::SortedSet* z) { return z == nullptr ? 0 : z->size(); });
}

bool Store::HyperLogLog::add(std::string_view element) {
    Impl& s = *store_.impl_;
    const bool changed = s.mutate<converge::HyperLogLog>(
        key_, IfAbsent::create, false, [&](converge::HyperLogLog& v, Impl::Touched& t) {
            bool grew = false;
            t.delta = v.add(s.lifecycle.writer(), element, &grew);
            t.bytes = change_bytes;
            t.changed = true;
            return grew;
        });
    detail::bump(s.counters.hyperloglog_ops);
    s.notify(key_, ChangeKind::hyperloglog);
    return changed;
}

std::uint64_t Store::HyperLogLog::count() {
    Impl& s = *store_.impl_;
    detail::bump(s.counters.hyperloglog_ops);
    return s.read<converge::HyperLogLog>(
        key_, [](const converge::HyperLogLog* v) { return v == nullptr ? 0 : v->count(); });
}

Store::HyperLogLog::Registers Store::HyperLogLog::registers() {
    static_assert(std::is_same_v<Registers, converge::HyperLogLog::Registers>);
    Impl& s = *store_.impl_;
    detail::bump(s.counters.hyperloglog_ops);
    return s.read<converge::HyperLogLog>(key_, [](const converge::HyperLogLog* v) {
        return v == nullptr ? Registers{} : v->registers();
    });
}

bool Store::HyperLogLog::merge(const Registers& registers) {
    Impl& s = *store_.impl_;
    const bool changed = s.mutate<converge::HyperLogLog>(
        key_, IfAbsent::create, false, [&](converge::HyperLogLog& v, Impl::Touched& t) {
            bool grew = false;
            converge::HyperLogLog delta = v.raise(s.lifecycle.writer(), registers, &grew);
            if (!grew) return false;
            t.bytes = change_bytes + 4 * delta.entry_count();
            t.delta = std::move(delta);
            t.changed = true;
            return true;
        });
    detail::bump(s.counters.hyperloglog_ops);
    if (changed) s.notify(key_, ChangeKind::hyperloglog);
    return changed;
}

std::uint64_t Store::HyperLogLog::estimate(const Registers& registers) {
    return converge::HyperLogLog::estimate(registers);
}

}  // namespace converge::store
