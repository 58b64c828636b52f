// Fuzz target: the wire envelope (wire::open), every message type's decoder, and a Store receiving
// the frame as a peer would send it. Input: a mode byte, then
//   mode 0: raw bytes for wire::open (almost never passes the checksum: the envelope's checks);
//   mode 1: a type byte and a payload, sealed, opened and decoded by the type's decoder;
//   mode 2: the same, received by a Store that holds a value, a counter and a set.
#include <memory>
#include <string>
#include <variant>

#include "check.hpp"

#include <store/replication/messages.hpp>
#include <store/replication/wire.hpp>
#include <store/store.hpp>

namespace {

using namespace converge;
using namespace converge::store;
namespace detail = converge::store::detail;

constexpr std::size_t frame_bytes_max = 1 << 20;

void decode_payload(const wire::Frame& frame) {
    const DecodeLimits limits{};
    try {
        switch (frame.type) {
            case wire::MessageType::deltas:
                detail::decode_deltas(detail::split_state_header(frame.payload, limits).second,
                                      limits);
                break;
            case wire::MessageType::ack: {
                const std::string bytes = detail::encode(detail::decode_ack(frame.payload, limits));
                FUZZ_CHECK(detail::encode(detail::decode_ack(bytes, limits)) == bytes);
                break;
            }
            case wire::MessageType::digest_top: {
                const std::string bytes =
                    detail::encode(detail::decode_digest_top(frame.payload, limits));
                FUZZ_CHECK(detail::encode(detail::decode_digest_top(bytes, limits)) == bytes);
                break;
            }
            case wire::MessageType::digest_leaves:
                detail::decode_digest_leaves(frame.payload, limits);
                break;
            case wire::MessageType::key_states:
                detail::decode_key_states(detail::split_state_header(frame.payload, limits).second,
                                          limits);
                break;
            case wire::MessageType::retirement: {
                const std::string bytes =
                    detail::encode(detail::decode_retirement(frame.payload, limits));
                FUZZ_CHECK(detail::encode(detail::decode_retirement(bytes, limits)) == bytes);
                break;
            }
            case wire::MessageType::repair_ack: {
                const std::string bytes =
                    detail::encode(detail::decode_repair_ack(frame.payload, limits));
                FUZZ_CHECK(detail::encode(detail::decode_repair_ack(bytes, limits)) == bytes);
                break;
            }
        }
    } catch (const DecodeError&) {
    }
}

struct Discard final : Transport {
    void send(ReplicaId, std::string) override {}
};

void receive_in_store(const std::string& frame) {
    Store store(Options{.replica = ReplicaId{2},
                        .clock = std::make_shared<ManualClock>(1'700'000'000'000),
                        .rng = std::make_shared<SeededRng>(2),
                        .transport = std::make_shared<Discard>(),
                        .log = [](std::string_view) {},
                        .stripes = 1});
    store.add_peer(ReplicaId{1});
    store.put("k", "v");
    store.counter("c").increment(3);
    store.set("s").add("m");
    const std::uint64_t before = store.state_hash();
    if (!store.receive(frame)) FUZZ_CHECK(store.state_hash() == before);
    store.sync();
    store.tick();
    for (const std::string& key : store.keys())
        store.inspect(key);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::Input in(data, size);
    const std::uint8_t mode = in.byte() % 3;
    if (mode == 0) {
        const auto opened = wire::open(in.rest(), frame_bytes_max);
        if (const auto* frame = std::get_if<wire::Frame>(&opened)) decode_payload(*frame);
        return 0;
    }
    const std::uint8_t type = in.byte();
    const std::string frame =
        wire::seal(ReplicaId{1}, static_cast<wire::MessageType>(type), in.rest());
    const auto opened = wire::open(frame, frame_bytes_max);
    const auto* ok = std::get_if<wire::Frame>(&opened);
    FUZZ_CHECK((ok != nullptr) == (type >= 1 && type <= wire::message_type_max) ||
               in.rest().size() + wire::overhead_min + 8 > frame_bytes_max);
    if (ok == nullptr) return 0;
    FUZZ_CHECK(ok->sender == ReplicaId{1} && ok->payload == in.rest());
    if (mode == 1)
        decode_payload(*ok);
    else
        receive_in_store(frame);
    return 0;
}
