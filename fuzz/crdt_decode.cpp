// Fuzz target: converge's canonical decoder (decode<T>) for every CRDT type.
// Input: a type selector byte, then the encoded value.
#include "crdt_types.hpp"

#include <crdt/encoding.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    converge::fuzz::Input in(data, size);
    converge::fuzz::with_crdt_type(in.byte(), [&]<class T>(std::type_identity<T>) {
        T value;
        try {
            value = converge::decode<T>(in.rest());
        } catch (const converge::DecodeError&) {
            return;
        }
        converge::fuzz::check_decoded(value);
    });
    return 0;
}
