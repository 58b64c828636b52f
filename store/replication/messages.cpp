#include <algorithm>
#include <cassert>

#include <store/replication/messages.hpp>

namespace converge::store::detail {
namespace {

std::uint32_t read_u32(codec::Reader& r, const char* what) {
    const std::uint64_t v = r.varint(what);
    if (v > 0xFFFFFFFF) r.fail(std::string(what) + " does not fit 32 bits");
    return static_cast<std::uint32_t>(v);
}

// The tags of deltas in deltas messages (never stored, never a whole state): a counter's, and a
// set's, hash's, sorted set's or HyperLogLog's (their type's tag + 8: 21, 20, 16, 17 and 18). Wire
// version 6 sent a counter's delta, without baselines or a deadline, as tag 11; version 5 a set's,
// without a deadline, as tag 4.
constexpr std::uint8_t record_delta_offset = 8;
constexpr std::uint8_t counter_delta_tag = type_tag<ResettableCounter> + record_delta_offset;
static_assert(type_tag<SortedSet> == type_tag<ORHash> + 1 &&
              type_tag<HyperLogLog> == type_tag<ORHash> + 2);

bool is_record_delta(std::uint8_t tag) {
    return (tag >= type_tag<ORHash> + record_delta_offset &&
            tag <= type_tag<HyperLogLog> + record_delta_offset) ||
           tag == type_tag<StringSet> + record_delta_offset;
}

KeyState decode_key_state(codec::Reader& r) {
    KeyState s;
    s.key = std::string(r.string("key"));
    const std::uint8_t tag = r.byte("value type");
    if (tag == set_tag_before_deadlines) r.fail("a set without a deadline (wire version 5)");
    if (tag == counter_tag_before_resets) r.fail("a counter that cannot be reset (wire version 6)");
    const bool record_delta = is_record_delta(tag);
    s.whole = tag != counter_delta_tag && !record_delta;
    s.value = decode_tagged(r, tag == counter_delta_tag ? type_tag<ResettableCounter>
                               : record_delta ? static_cast<std::uint8_t>(tag - record_delta_offset)
                                              : tag);
    return s;
}

std::uint64_t mix(std::uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
    return z ^ (z >> 31);
}

bool context_out_of_range(const CausalContext& context) {
    for (const auto& entry : context.compact())
        if (entry.count > counter_limit) return true;
    return std::any_of(context.cloud_begin(), context.cloud_end(),
                       [](const Dot& d) { return d.counter > counter_limit; });
}

bool total_out_of_range(const GCounter& counter) {
    try {
        return counter.value() > counter_limit;
    } catch (const InvalidOperation&) {  // the sum passes 2^64
        return true;
    }
}

}  // namespace

const char* out_of_range(const Value& v) {
    if (const auto* c = v.get_if<ResettableCounter>())  // its baselines are at most these
        return total_out_of_range(c->totals().increments()) ||
                       total_out_of_range(c->totals().decrements())
                   ? "a counter total past 2^62"
                   : nullptr;
    const CausalContext* context = v.visit([](const auto& held) -> const CausalContext* {
        if constexpr (std::is_same_v<std::decay_t<decltype(held)>, ResettableCounter>)
            return nullptr;  // handled above
        else
            return &held.context();
    });
    return context_out_of_range(*context) ? "a dot counter past 2^62" : nullptr;
}

void write_fixed64(codec::Writer& w, std::uint64_t v) {
    for (int i = 0; i < 8; ++i)
        w.byte(static_cast<std::uint8_t>((v >> (8 * i)) & 0xFF));
}

std::uint64_t read_fixed64(codec::Reader& r, const char* what) {
    const std::string_view b = r.raw(8, what);
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i)
        v |= std::uint64_t{static_cast<std::uint8_t>(b[static_cast<std::size_t>(i)])} << (8 * i);
    return v;
}

void encode_range(codec::Writer& w, const LogRange& range) {
    w.varint(range.stripe);
    w.varint(range.from);
    w.varint(range.to - range.from);
}

LogRange decode_range(codec::Reader& r) {
    LogRange range;
    range.stripe = read_u32(r, "log stripe");
    range.from = r.varint("range start");
    const std::uint64_t span = r.varint("range length");
    if (span == 0 || span > ~range.from) r.fail("empty or overflowing log range");
    range.to = range.from + span;
    return range;
}

void encode_delta_chunk(codec::Writer& w, const LogRange& range, std::size_t count,
                        std::string_view keys) {
    encode_range(w, range);
    w.varint(count);
    w.raw(keys);
}

void encode_key_delta(codec::Writer& w, std::string_view key, const Value& delta) {
    w.string(key);
    delta.visit([&](const auto& held) {
        using T = std::decay_t<decltype(held)>;
        if constexpr (std::is_same_v<T, KvRegister>) {
            assert(false && "registers travel whole");
            encode_value(w, held);
        } else {
            if constexpr (std::is_same_v<T, ResettableCounter>)
                w.byte(counter_delta_tag);
            else
                w.byte(static_cast<std::uint8_t>(type_tag<T> + record_delta_offset));
            held.encode(w);
        }
    });
}

TableFingerprint fingerprint_of(const RetiredIds& table) {
    TableFingerprint f;
    f.count = table.size();
    for (ReplicaId id : table.ids())
        f.hash += mix(id.value);
    return f;
}

namespace {

void encode_fingerprint(codec::Writer& w, const TableFingerprint& f, bool flag) {
    w.varint(f.count << 1 | (flag ? 1 : 0));
    if (f.count != 0) write_fixed64(w, f.hash);
}

TableFingerprint read_fingerprint(codec::Reader& r, bool& flag) {
    TableFingerprint f;
    const std::uint64_t count_and_flag = r.varint("retired table size");
    f.count = count_and_flag >> 1;
    flag = (count_and_flag & 1) != 0;
    if (f.count != 0) f.hash = read_fixed64(r, "retired table hash");
    return f;
}

}  // namespace

void encode_state_header(codec::Writer& w, const StateHeader& h) {
    encode_fingerprint(w, h.table, !h.learned.empty());
    if (!h.learned.empty()) h.learned.encode(w);
}

std::pair<StateHeader, std::string_view> split_state_header(std::string_view payload,
                                                            const DecodeLimits& limits) {
    codec::Reader r(payload, limits);
    StateHeader h;
    bool learned = false;
    h.table = read_fingerprint(r, learned);
    if (learned) h.learned = RetiredIds::decode(r);
    return {std::move(h), payload.substr(payload.size() - r.remaining())};
}

std::string encode(const RetirementReport& report) {
    codec::Writer w;
    w.varint(report.writer.value);
    encode_fingerprint(w, report.table, !report.learned.empty());
    if (!report.learned.empty()) report.learned.encode(w);
    w.varint(report.pending.size());
    for (const RetirementReport::Pending& p : report.pending) {
        w.varint(p.id.value);
        write_fixed64(w, p.footprint);
        w.varint(p.level);
    }
    w.byte(report.full_table ? 1 : 0);
    if (report.full_table) {
        report.full_table->encode(w);
        for (std::size_t i = 0; i < report.full_table->size(); ++i)
            write_fixed64(w, i < report.agreed_footprints.size() ? report.agreed_footprints[i] : 0);
    }
    return w.take();
}

RetirementReport decode_retirement(std::string_view payload, const DecodeLimits& limits) {
    codec::Reader r(payload, limits);
    RetirementReport out;
    out.writer = ReplicaId{r.varint_at_least(1, "writer id")};
    bool learned = false;
    out.table = read_fingerprint(r, learned);
    if (learned) out.learned = RetiredIds::decode(r);
    const std::size_t n = r.count("pending retirements", 10);
    out.pending.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        RetirementReport::Pending p;
        p.id = ReplicaId{r.varint_at_least(1, "retiring writer id")};
        if (!out.pending.empty() && !(out.pending.back().id < p.id))
            r.fail("pending retirements not in increasing order");
        p.footprint = read_fixed64(r, "footprint");
        const std::uint64_t level = r.varint("agreement level");
        if (level > UINT32_MAX) r.fail("agreement level does not fit 32 bits");
        p.level = static_cast<std::uint32_t>(level);
        out.pending.push_back(p);
    }
    const std::uint8_t has_table = r.byte("whether a table follows");
    if (has_table > 1) r.fail("bad table flag");
    if (has_table == 1) {
        out.full_table = RetiredIds::decode(r);
        if (fingerprint_of(*out.full_table) != out.table)
            r.fail("the retired table does not match its fingerprint");
        if (out.full_table->size() > r.remaining() / 8) r.fail("agreed footprints truncated");
        for (std::size_t i = 0; i < out.full_table->size(); ++i)
            out.agreed_footprints.push_back(read_fixed64(r, "agreed footprint"));
    }
    r.expect_end("retirement report");
    return out;
}

std::vector<DeltaChunk> decode_deltas(std::string_view payload, const DecodeLimits& limits) {
    codec::Reader r(payload, limits);
    std::vector<DeltaChunk> chunks;
    while (!r.at_end()) {
        DeltaChunk c;
        c.range = decode_range(r);
        const std::size_t n = r.count("keys in a delta chunk", 3);
        c.keys.reserve(n);
        for (std::size_t i = 0; i < n; ++i)
            c.keys.push_back(decode_key_state(r));
        chunks.push_back(std::move(c));
    }
    return chunks;
}

std::string encode(const Ack& ack) {
    codec::Writer w;
    write_fixed64(w, ack.incarnation);
    for (const LogRange& range : ack.ranges)
        encode_range(w, range);
    return w.take();
}

Ack decode_ack(std::string_view payload, const DecodeLimits& limits) {
    codec::Reader r(payload, limits);
    Ack ack;
    ack.incarnation = read_fixed64(r, "incarnation");
    while (!r.at_end())
        ack.ranges.push_back(decode_range(r));
    return ack;
}

std::string encode(const DigestTop& top) {
    codec::Writer w;
    w.varint(top.repair_id);
    w.varint(top.cursor);
    for (std::uint64_t h : top.range_hashes)
        write_fixed64(w, h);
    return w.take();
}

DigestTop decode_digest_top(std::string_view payload, const DecodeLimits& limits) {
    codec::Reader r(payload, limits);
    DigestTop top;
    top.repair_id = r.varint("repair id");
    top.cursor = read_u32(r, "range cursor");
    if (top.cursor >= digest_ranges) r.fail("range cursor past the last range");
    if (r.remaining() != (digest_ranges - top.cursor) * 8)
        r.fail("digest must hold one 8-byte hash per range from the cursor on");
    while (!r.at_end())
        top.range_hashes.push_back(read_fixed64(r, "range hash"));
    return top;
}

void begin_digest_leaves(codec::Writer& w, std::uint64_t repair_id, std::uint32_t next_cursor) {
    w.varint(repair_id);
    w.varint(next_cursor);
}

void encode_leaf_range(codec::Writer& w, std::uint32_t index,
                       std::span<const std::uint64_t, leaves_per_range> leaves) {
    w.varint(index);
    const auto nonzero = static_cast<std::size_t>(
        std::count_if(leaves.begin(), leaves.end(), [](std::uint64_t h) { return h != 0; }));
    w.varint(nonzero);
    for (std::size_t i = 0; i < leaves_per_range; ++i) {
        if (leaves[i] == 0) continue;
        w.varint(i);
        write_fixed64(w, leaves[i]);
    }
}

DigestLeaves decode_digest_leaves(std::string_view payload, const DecodeLimits& limits) {
    codec::Reader r(payload, limits);
    DigestLeaves out;
    out.repair_id = r.varint("repair id");
    out.next_cursor = read_u32(r, "next range cursor");
    if (out.next_cursor > digest_ranges) r.fail("range cursor past the last range");
    while (!r.at_end()) {
        DigestLeaves::Range range;
        range.index = read_u32(r, "range index");
        if (range.index >= digest_ranges) r.fail("range index past the last range");
        if (!out.ranges.empty() && range.index <= out.ranges.back().index)
            r.fail("range indexes must increase");
        const std::uint64_t count = r.varint("leaf count");
        if (count > leaves_per_range) r.fail("more leaves than a range holds");
        std::uint64_t next = 0;  // the least leaf offset allowed next
        for (std::uint64_t n = 0; n < count; ++n) {
            const std::uint64_t offset = r.varint("leaf offset");
            if (offset < next || offset >= leaves_per_range)
                r.fail("leaf offsets must increase and stay inside the range");
            range.leaves[offset] = read_fixed64(r, "leaf hash");
            next = offset + 1;
        }
        out.ranges.push_back(range);
    }
    return out;
}

void begin_key_states(codec::Writer& w, std::uint64_t repair_id, std::uint32_t chunk) {
    w.varint(repair_id);
    w.varint(chunk);
}

KeyStates decode_key_states(std::string_view payload, const DecodeLimits& limits) {
    codec::Reader r(payload, limits);
    KeyStates out;
    out.repair_id = r.varint("repair id");
    out.chunk = read_u32(r, "chunk");
    while (!r.at_end())
        out.keys.push_back(decode_key_state(r));
    return out;
}

std::string encode(const RepairAck& ack) {
    codec::Writer w;
    w.varint(ack.repair_id);
    w.varint(ack.chunk);
    return w.take();
}

RepairAck decode_repair_ack(std::string_view payload, const DecodeLimits& limits) {
    codec::Reader r(payload, limits);
    RepairAck out;
    out.repair_id = r.varint("repair id");
    out.chunk = read_u32(r, "chunk");
    r.expect_end("a repair ack");
    return out;
}

}  // namespace converge::store::detail
