#include <algorithm>
#include <cassert>

#include <sim/oracle.hpp>

namespace converge::sim {
namespace {

using store::KeyInspection;

std::string show(const Dot& d) {
    return "(" + std::to_string(d.replica.value) + ", " + std::to_string(d.counter) + ")";
}

std::string quoted(std::string_view key) {
    return "\"" + std::string(key) + "\"";
}

// The order of the store's types: of two a key was used as, the later one holds it everywhere.
int type_rank(OpType t) {
    switch (t) {
        case OpType::kv:
            return 0;
        case OpType::counter:
            return 1;
        case OpType::set:
            return 2;
        case OpType::hash:
            return 3;
        case OpType::zset:
            return 4;
        case OpType::hll:
            break;
    }
    return 5;
}

// Whether a has seen every dot b has, but those of retired writers (a fold drops them).
bool includes(const CausalContext& a, const CausalContext& b, const RetiredIds* retired) {
    const auto gone = [&](ReplicaId w) { return retired != nullptr && retired->contains(w); };
    for (const auto& e : b.compact())
        for (std::uint64_t c = a.compact().get(e.replica) + 1; c <= e.count && !gone(e.replica);
             ++c)
            if (!a.contains(Dot{e.replica, c})) return false;
    return std::all_of(b.cloud_begin(), b.cloud_end(),
                       [&](const Dot& d) { return gone(d.replica) || a.contains(d); });
}

bool is_live(const KeyInspection& s, const Dot& dot) {
    return std::binary_search(
        s.live.begin(), s.live.end(), KeyInspection::Live{dot, {}},
        [](const KeyInspection::Live& a, const KeyInspection::Live& b) { return a.dot < b.dot; });
}

std::string show(const FinalValue& v) {
    if (const auto* n = std::get_if<std::int64_t>(&v)) return std::to_string(*n);
    if (const auto* s = std::get_if<std::string>(&v)) return quoted(*s);
    if (const auto* m = std::get_if<std::vector<std::string>>(&v)) {
        std::string out = "[";
        for (const std::string& member : *m)
            out += (out.size() > 1 ? ", " : "") + quoted(member);
        return out + "]";
    }
    if (const auto* p = std::get_if<Pairs>(&v)) {
        std::string out = "{";
        for (const auto& [name, value] : *p)
            out += (out.size() > 1 ? ", " : "") + quoted(name) + ": " + value;
        return out + "}";
    }
    return "nothing";
}

}  // namespace

OpType op_type(store::KeyInspection::Type t) {
    switch (t) {
        case store::KeyInspection::Type::value:
            return OpType::kv;
        case store::KeyInspection::Type::counter:
            return OpType::counter;
        case store::KeyInspection::Type::set:
            break;
        case store::KeyInspection::Type::hash:
            return OpType::hash;
        case store::KeyInspection::Type::sorted_set:
            return OpType::zset;
        case store::KeyInspection::Type::hyperloglog:
            return OpType::hll;
    }
    return OpType::set;
}

void Oracle::violation(Micros now, const std::string& what) {
    if (violations_.size() >= 20) {
        ++more_violations_;
        return;
    }
    violations_.push_back("seed " + std::to_string(seed_) + ", at " + format_duration(now) + ": " +
                          what);
}

std::vector<std::string> Oracle::violations() const {
    std::vector<std::string> out = violations_;
    if (more_violations_ > 0)
        out.push_back("... and " + std::to_string(more_violations_) + " more violations");
    return out;
}

std::vector<std::string> Oracle::keys() const {
    std::vector<std::string> out;
    for (const auto& [key, model] : keys_)
        out.push_back(key);
    std::sort(out.begin(), out.end());
    return out;
}

OpType Oracle::type_of(const std::string& key) const {
    const auto it = keys_.find(key);
    return it == keys_.end() || it->second.types.empty() ? OpType::kv : *it->second.types.begin();
}

void Oracle::operation(Micros now, const std::string& replica, ReplicaId writer, const Op& op,
                       const std::optional<KeyInspection>& before, const KeyInspection& after) {
    KeyModel& m = keys_[op.key];
    m.types.insert(op.type);
    const std::vector<KeyInspection::Live> none;
    const auto& was_live = before ? before->live : none;
    const auto where = [&] { return " on " + replica + ", key " + quoted(op.key); };
    if (is_record(op.type)) return record_operation(now, replica, writer, op, before, after, m);

    if (op.type == OpType::counter) {
        const bool down = op.action == OpAction::decrement;
        const auto n = static_cast<std::uint64_t>(std::stoll(op.value.empty() ? "1" : op.value));
        auto& sums = down ? m.counts[writer].decrements : m.counts[writer].increments;
        const std::uint64_t slot = (down ? after.decrements : after.increments).get(writer);
        if (slot != sums.back() + n)
            violation(now, "a counter " + std::string(name(op.action)) + " of " +
                               std::to_string(n) + where() + " left its slot at " +
                               std::to_string(slot) + ", expected " +
                               std::to_string(sums.back() + n));
        sums.push_back(sums.back() + n);
        return;
    }
    // What the operation observed: a remove or an add the member's dots, a put or del every write.
    const bool set = op.type == OpType::set;
    for (const auto& l : was_live)
        if (!set || l.bytes == op.value) m.observed[l.dot].push_back(writer);
    if (op.action == OpAction::remove || op.action == OpAction::del) return;

    const auto made = std::find_if(after.live.begin(), after.live.end(), [&](const auto& l) {
        return l.dot.replica == writer && l.bytes == op.value &&
               !(before && before->context.contains(l.dot));
    });
    if (made == after.live.end()) {
        violation(now, "an " + std::string(name(op.action)) + " of " + quoted(op.value) + where() +
                           " made no new dot");
        return;
    }
    const auto [it, fresh] =
        m.writes.try_emplace(made->dot, Write{op.value, made->written, replica, now});
    if (!fresh)
        violation(now, "dot " + show(made->dot) + " reused" + where() + ": first made by " +
                           it->second.replica + " at " + format_duration(it->second.at) + " for " +
                           quoted(it->second.bytes));
}

void Oracle::record_operation(Micros now, const std::string& replica, ReplicaId writer,
                              const Op& op, const std::optional<KeyInspection>& before,
                              const KeyInspection& after, KeyModel& m) {
    const std::string problem = records_[op.key].operation(op, writer, before, after);
    if (!problem.empty()) violation(now, problem + " on " + replica + ", key " + quoted(op.key));
    if (op.type == OpType::hll) return;
    const std::string& name = op.type == OpType::hash ? op.field : op.member;
    // A put or remove observes the member's dots; an increment its writer's previous one.
    if (before)
        for (const auto& l : before->live)
            if (l.bytes == name && (op.action != OpAction::increment ||
                                    (l.dot.replica == writer && l.written == Timestamp{})))
                m.observed[l.dot].push_back(writer);
    for (const auto& l : after.live)
        if (l.bytes == name && !(before && before->context.contains(l.dot)))
            m.writes.try_emplace(l.dot, Write{name, l.written, replica, now});
}

void Oracle::check_dots(Micros now, const std::string& replica, const std::string& key,
                        const KeyModel& model, const KeyInspection& state) {
    for (const auto& l : state.live)
        check_live(now, replica, key, model, state, l);
}

void Oracle::check_live(Micros now, const std::string& replica, const std::string& key,
                        const KeyModel& model, const KeyInspection& state,
                        const KeyInspection::Live& l) {
    const auto where = [&] {
        return replica + " shows dot " + show(l.dot) + " on key " + quoted(key);
    };
    const auto w = model.writes.find(l.dot);
    if (w == model.writes.end())
        violation(now, where() + ", which no operation made");
    else if (w->second.bytes != l.bytes)
        violation(now, where() + " for " + quoted(l.bytes) + ", but its operation (" +
                           w->second.replica + " at " + format_duration(w->second.at) + ") wrote " +
                           quoted(w->second.bytes));
    else if (state.type == KeyInspection::Type::value && w->second.written != l.written)
        violation(now, where() + " with another timestamp than its write had");
    if (!state.context.contains(l.dot)) violation(now, where() + " outside its causal context");
}

void Oracle::check_counts(Micros now, const std::string& replica, const std::string& key,
                          const KeyModel& model, const KeyInspection& state,
                          const KeyInspection* previous) {
    auto check = [&](const VersionVector& slots, bool down) {
        for (const auto& e : slots) {
            if (e.replica == retired_writers) continue;  // folded slots: checked at the end
            const auto p = model.counts.find(e.replica);
            const auto& sums = p == model.counts.end() ? std::vector<std::uint64_t>{0}
                               : down                  ? p->second.decrements
                                                       : p->second.increments;
            if (!std::binary_search(sums.begin(), sums.end(), e.count))
                violation(now, "counter " + quoted(key) + " on " + replica + " holds " +
                                   std::to_string(e.count) +
                                   (down ? " decrements" : " increments") + " from replica " +
                                   std::to_string(e.replica.value) +
                                   ", which is no prefix of that replica's operations");
        }
        if (previous == nullptr) return;
        // A slot folded away (retired) moves into slot 0 whole; any other drop is a loss.
        const VersionVector& before = down ? previous->decrements : previous->increments;
        std::uint64_t moved = 0;
        for (const auto& e : before)
            if (e.replica != retired_writers && slots.get(e.replica) == 0) moved += e.count;
        if (slots.get(retired_writers) < before.get(retired_writers) + moved)
            violation(now, "counter " + quoted(key) + " on " + replica + " lost " +
                               (down ? "decrements" : "increments") +
                               " in folding retired writers: slot 0 went from " +
                               std::to_string(before.get(retired_writers)) + " to " +
                               std::to_string(slots.get(retired_writers)) + ", " +
                               std::to_string(moved) + " moved into it");
        for (const auto& e : before)
            if (slots.get(e.replica) < e.count && slots.get(e.replica) != 0)
                violation(now, "counter " + quoted(key) + " on " + replica +
                                   " went down: " + std::to_string(e.count) + " -> " +
                                   std::to_string(slots.get(e.replica)) +
                                   (down ? " decrements" : " increments") + " of replica " +
                                   std::to_string(e.replica.value));
    };
    check(state.increments, false);
    check(state.decrements, true);
}

void Oracle::check(Micros now, std::size_t slot, const std::string& replica, const Keys& keys) {
    for (const auto& [key, state] : keys)
        check_key(now, slot, replica, key, state);
}

void Oracle::check_key(Micros now, std::size_t slot, const std::string& replica,
                       const std::string& key, const KeyInspection& state,
                       const RetiredIds* retired) {
    auto& by_slot = seen_[key];
    if (by_slot.size() <= slot) by_slot.resize(slot + 1);
    std::optional<KeyInspection>& last = by_slot[slot];
    if (last && *last == state) return;  // checked as it is already
    check_changed(now, replica, key, state, last ? &*last : nullptr, retired);
    last = state;
}

void Oracle::check_changed(Micros now, const std::string& replica, const std::string& key,
                           const KeyInspection& state, const KeyInspection* last,
                           const RetiredIds* retired) {
    const auto m = keys_.find(key);
    if (m == keys_.end()) {
        violation(now, replica + " holds key " + quoted(key) + ", which no operation wrote");
        return;
    }
    const KeyModel& model = m->second;
    if (!model.types.contains(op_type(state.type))) {
        violation(now,
                  replica + " holds key " + quoted(key) + " as a type no operation wrote to it");
        return;
    }
    if (model.types.size() > 1) return;  // a type conflict: checked at the end
    changed_.insert(key);
    const KeyInspection* previous = last != nullptr && last->type == state.type ? last : nullptr;
    if (state.type == KeyInspection::Type::counter) {
        check_counts(now, replica, key, model, state, previous);
        return;
    }
    if (previous == nullptr) return check_dots(now, replica, key, model, state);
    if (!includes(state.context, previous->context, retired))
        violation(now, replica + " forgot dots of key " + quoted(key) + " it had seen");
    // Both lists are in dot order. An entry live here as it was at the last check was checked then
    // (a write's dot and content never change), unless a retirement fold may since have dropped
    // its writer's dots from the context.
    auto was = previous->live.begin();
    for (const auto& l : state.live) {
        while (was != previous->live.end() && was->dot < l.dot)
            ++was;
        const bool was_live = was != previous->live.end() && was->dot == l.dot;
        if (was_live && *was == l && (retired == nullptr || !retired->contains(l.dot.replica)))
            continue;
        check_live(now, replica, key, model, state, l);
        if (!was_live && previous->context.contains(l.dot))
            violation(now, replica + " brought back dot " + show(l.dot) + " (" + quoted(l.bytes) +
                               ") on key " + quoted(key) + " after dropping it");
    }
}

void Oracle::forget(std::size_t slot) {
    for (auto& [key, by_slot] : seen_)
        if (slot < by_slot.size()) by_slot[slot].reset();
}

void Oracle::check_same_state_same_value(Micros now, const std::vector<std::size_t>& slots,
                                         const std::vector<std::string>& names,
                                         const Visible& visible) {
    std::vector<const KeyInspection*> states(slots.size());
    std::vector<std::optional<FinalValue>> shown(slots.size());
    std::vector<std::size_t> groups;  // one replica of each distinct state seen so far
    for (const std::string& key : changed_) {
        const auto seen = seen_.find(key);
        for (std::size_t i = 0; i < slots.size(); ++i) {
            const KeyInspection* state = nullptr;
            if (seen != seen_.end() && slots[i] < seen->second.size() && seen->second[slots[i]])
                state = &*seen->second[slots[i]];
            const bool usable =
                state != nullptr && std::none_of(state->live.begin(), state->live.end(),
                                                 [](const auto& l) { return l.expires_ms != 0; });
            states[i] = usable ? state : nullptr;
            shown[i].reset();
        }
        auto show_of = [&](std::size_t i) -> const FinalValue& {
            if (!shown[i]) shown[i] = visible(slots[i], key, states[i]->type);
            return *shown[i];
        };
        // Equal states form groups; each member must show what the group's first shows.
        groups.clear();
        for (std::size_t i = 0; i < slots.size(); ++i) {
            if (states[i] == nullptr) continue;
            const auto g = std::find_if(groups.begin(), groups.end(), [&](std::size_t first) {
                return *states[first] == *states[i];
            });
            if (g == groups.end()) {
                groups.push_back(i);
            } else if (show_of(*g) != show_of(i)) {
                violation(now, names[*g] + " and " + names[i] +
                                   " hold the same causal state of key " + quoted(key) +
                                   " but show " + show(show_of(*g)) + " and " + show(show_of(i)));
            }
        }
    }
    changed_.clear();
}

void Oracle::check_final(Micros now, const std::string& replica, const std::string& key,
                         const std::optional<KeyInspection>& state, const FinalValue& visible,
                         const std::function<bool(ReplicaId)>& durable) {
    const auto m = keys_.find(key);
    if (m == keys_.end()) return;
    const KeyModel& model = m->second;
    const std::string where = replica + ", key " + quoted(key);
    if (model.types.size() > 1) {
        const OpType winner =
            *std::max_element(model.types.begin(), model.types.end(),
                              [](OpType a, OpType b) { return type_rank(a) < type_rank(b); });
        if (state && op_type(state->type) != winner)
            violation(now, where +
                               ": used as several types, it should hold the latest of value, "
                               "counter, set, hash, zset, hll");
        return;
    }
    const OpType type = *model.types.begin();
    if (is_record(type)) {
        if (state && type != OpType::hll) {
            check_dots(now, replica, key, model, *state);
            check_final_writes(now, where, model, *state, durable);
        }
        return check_final_record(now, where, key, type, visible, durable);
    }
    KeyInspection empty;
    empty.type = type == OpType::set       ? KeyInspection::Type::set
                 : type == OpType::counter ? KeyInspection::Type::counter
                                           : KeyInspection::Type::value;
    const KeyInspection& s = state ? *state : empty;

    if (type == OpType::counter) {
        check_counts(now, replica, key, model, s, nullptr);
        check_final_counter(now, where, model, s, visible, durable);
        return;
    }
    check_dots(now, replica, key, model, s);
    check_final_writes(now, where, model, s, durable);
    if (type == OpType::set)
        check_final_set(now, where, s, visible);
    else
        check_final_value(now, where, model, s, visible);
}

void Oracle::check_final_record(Micros now, const std::string& where, const std::string& key,
                                OpType type, const FinalValue& visible,
                                const std::function<bool(ReplicaId)>& durable) {
    const RecordModel& model = records_.at(key);
    // A replica that lost its storage may have lost operations nobody received: no exact value.
    if (!std::all_of(model.writers().begin(), model.writers().end(), durable)) return;
    const FinalValue expected = model.expected(type);
    if (visible != expected)
        violation(now, std::string(name(type)) + " on " + where + " shows " + show(visible) +
                           ", its operations give " + show(expected));
}

void Oracle::check_final_counter(Micros now, const std::string& where, const KeyModel& model,
                                 const KeyInspection& s, const FinalValue& visible,
                                 const std::function<bool(ReplicaId)>& durable) {
    // A writer's slot holds all its operations if its replica kept them (durable), else a prefix
    // of them. Retired writers' slots are folded into slot 0: it holds at least the folded durable
    // writers' totals and at most every folded writer's.
    auto check = [&](bool down) {
        const VersionVector& slots = down ? s.decrements : s.increments;
        std::uint64_t folded_least = 0, folded_most = 0, expected = slots.get(retired_writers);
        for (const auto& [id, sums] : model.counts) {
            const std::uint64_t total = down ? sums.decrements.back() : sums.increments.back();
            const std::uint64_t held = slots.get(id);
            if (held == 0) {
                folded_most += total;
                if (durable(id)) folded_least += total;
            } else {
                expected += held;
                if (durable(id) && held != total)
                    violation(now, "counter on " + where + " holds " + std::to_string(held) +
                                       (down ? " decrements" : " increments") + " of writer " +
                                       std::to_string(id.value) + ", which made " +
                                       std::to_string(total));
            }
        }
        const std::uint64_t folded = slots.get(retired_writers);
        if (folded < folded_least || folded > folded_most)
            violation(now, "counter on " + where + " holds " + std::to_string(folded) +
                               (down ? " decrements" : " increments") +
                               " of retired writers, not between " + std::to_string(folded_least) +
                               " (their operations that must survive) and " +
                               std::to_string(folded_most) + " (all of them)");
        return expected;
    };
    const std::uint64_t up = check(false), down = check(true);
    const auto expected = static_cast<std::int64_t>(up - down);
    if (visible != FinalValue(expected))
        violation(now, "counter on " + where + " is " + show(visible) +
                           ", the sum of its operations is " + std::to_string(expected));
}

// No live dot a durable operation observed; no durable write lost that nothing observed.
void Oracle::check_final_writes(Micros now, const std::string& where, const KeyModel& model,
                                const KeyInspection& s,
                                const std::function<bool(ReplicaId)>& durable) {
    // An observation by a replica that lost its storage or is down may never have left it.
    auto observed_durably = [&](const Dot& dot) {
        const auto it = model.observed.find(dot);
        return it != model.observed.end() &&
               std::any_of(it->second.begin(), it->second.end(), durable);
    };
    for (const auto& l : s.live)
        if (observed_durably(l.dot))
            violation(now, where + " still shows " + quoted(l.bytes) + " (dot " + show(l.dot) +
                               "), which a later operation observed and replaced or removed");
    for (const auto& [dot, w] : model.writes)
        if (!model.observed.contains(dot) && durable(dot.replica) && !is_live(s, dot))
            violation(now, where + " lost " + quoted(w.bytes) + ", written by " + w.replica +
                               " at " + format_duration(w.at) + " (dot " + show(dot) + ")");
}

void Oracle::check_final_set(Micros now, const std::string& where, const KeyInspection& s,
                             const FinalValue& visible) {
    std::vector<std::string> members;
    for (const auto& l : s.live)
        members.push_back(l.bytes);
    std::sort(members.begin(), members.end());
    members.erase(std::unique(members.begin(), members.end()), members.end());
    if (visible != FinalValue(members))
        violation(now, "set on " + where + " shows " + show(visible) + ", its adds no remove " +
                           "observed are " + show(FinalValue(members)));
}

void Oracle::check_final_value(Micros now, const std::string& where, const KeyModel& model,
                               const KeyInspection& s, const FinalValue& visible) {
    const KeyInspection::Live* winner = nullptr;
    for (const auto& l : s.live) {
        const auto w = model.writes.find(l.dot);
        if (w == model.writes.end()) continue;
        if (winner == nullptr || model.writes.at(winner->dot).written < w->second.written)
            winner = &l;
    }
    const FinalValue expected = winner ? FinalValue(winner->bytes) : FinalValue();
    const bool may_expire = winner != nullptr && winner->expires_ms != 0;
    if (visible != expected && !(may_expire && std::holds_alternative<std::monostate>(visible)))
        violation(now, "value on " + where + " is " + show(visible) + ", the live write with " +
                           "the greatest (timestamp, replica) is " + show(expected));
}

}  // namespace converge::sim
