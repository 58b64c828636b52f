#include <algorithm>
#include <cassert>

#include <crdt/codec/reader.hpp>
#include <crdt/codec/writer.hpp>
#include <store/lifecycle/lifecycle.hpp>

namespace converge::store::detail {
namespace {

constexpr const char* record_name = "lifecycle";
constexpr std::uint8_t record_version = 1;

void insert_sorted(std::vector<ReplicaId>& ids, ReplicaId id) {
    auto it = std::lower_bound(ids.begin(), ids.end(), id);
    if (it == ids.end() || *it != id) ids.insert(it, id);
}

}  // namespace

Lifecycle::Lifecycle(std::shared_ptr<Storage> storage, Rng& rng) : storage_(std::move(storage)) {
    std::lock_guard lock(mutex_);
    if (storage_) {
        if (const auto bytes = storage_->load_record(record_name)) {
            try {
                codec::Reader r(*bytes);
                if (r.byte("lifecycle record version") != record_version)
                    r.fail("unknown lifecycle record version");
                const ReplicaId previous{r.varint("writer id")};
                const std::size_t n = r.count("pending retirements", 1);
                for (std::size_t i = 0; i < n; ++i)
                    insert_sorted(pending_, ReplicaId{r.varint_at_least(1, "pending retirement")});
                retired_ = RetiredIds::decode(r);
                learned_ = RetiredIds::decode(r);
                clock_floor_ = Timestamp::decode(r);
                r.expect_end("lifecycle record");
                if (previous == retired_writers) r.fail("writer id 0");
                previous_ = previous;
                if (!retired_.contains(previous)) insert_sorted(pending_, previous);
            } catch (const DecodeError& e) {
                throw StorageError(std::string("the replica's lifecycle record does not decode (") +
                                   e.what() +
                                   "): the storage is corrupt; restore it from a backup or start "
                                   "this replica with empty storage");
            }
        }
    }
    writer_.store(mint_locked(rng).value, std::memory_order_release);
}

void Lifecycle::start(const Timestamp& floor) {
    std::lock_guard lock(mutex_);
    if (clock_floor_ < floor) clock_floor_ = floor;
    save_locked();
}

ReplicaId Lifecycle::mint_locked(Rng& rng) const {
    for (;;) {
        const ReplicaId id{rng.next() >> 1};  // 63 bits: at most 9 bytes as a varint
        const bool known = id == retired_writers || id == writer() || retired_.contains(id) ||
                           std::binary_search(pending_.begin(), pending_.end(), id);
        if (!known) return id;
    }
}

ReplicaId Lifecycle::rekey(Rng& rng) {
    std::lock_guard lock(mutex_);
    insert_sorted(pending_, writer());
    const ReplicaId fresh = mint_locked(rng);
    writer_.store(fresh.value, std::memory_order_release);
    save_locked();
    return fresh;
}

bool Lifecycle::retire(ReplicaId writer_id) {
    if (writer_id == retired_writers) throw InvalidOperation("replica id 0 names no writer");
    std::lock_guard lock(mutex_);
    if (writer_id == writer())
        throw InvalidOperation("writer " + std::to_string(writer_id.value) +
                               " is this replica's own, still writing; retire it from another "
                               "replica once this one has stopped for good");
    if (retired_.contains(writer_id) ||
        std::binary_search(pending_.begin(), pending_.end(), writer_id))
        return false;
    insert_sorted(pending_, writer_id);
    save_locked();
    return true;
}

void Lifecycle::mark_folded(const std::vector<ReplicaId>& writers, bool learned) {
    std::lock_guard lock(mutex_);
    for (ReplicaId w : writers) {
        retired_.insert(w);
        if (learned) learned_.insert(w);
        auto it = std::lower_bound(pending_.begin(), pending_.end(), w);
        if (it != pending_.end() && *it == w) pending_.erase(it);
    }
    save_locked();
}

Timestamp Lifecycle::clock_floor() const {
    std::lock_guard lock(mutex_);
    return clock_floor_;
}

std::vector<ReplicaId> Lifecycle::pending() const {
    std::lock_guard lock(mutex_);
    return pending_;
}

RetiredIds Lifecycle::retired() const {
    std::lock_guard lock(mutex_);
    return retired_;
}

void Lifecycle::set_learned(const RetiredIds& learned) {
    std::lock_guard lock(mutex_);
    learned_ = learned;
    save_locked();
}

RetiredIds Lifecycle::learned() const {
    std::lock_guard lock(mutex_);
    return learned_;
}

std::string Lifecycle::encode_locked() const {
    codec::Writer w;
    w.byte(record_version);
    w.varint(writer().value);
    w.varint(pending_.size());
    for (ReplicaId id : pending_)
        w.varint(id.value);
    retired_.encode(w);
    learned_.encode(w);
    clock_floor_.encode(w);
    return w.take();
}

void Lifecycle::save_locked() {
    if (storage_) storage_->save_record(record_name, encode_locked());
}

}  // namespace converge::store::detail
