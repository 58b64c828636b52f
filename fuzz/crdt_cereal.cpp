// Fuzz target: the cereal PortableBinary path of every CRDT type (crdt/codec/cereal_blob.hpp).
// Input: a type selector byte, then the archive's bytes.
#include <concepts>
#include <optional>
#include <sstream>

#include "crdt_types.hpp"
#include <cereal/archives/portable_binary.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    converge::fuzz::Input in(data, size);
    converge::fuzz::with_crdt_type(in.byte(), [&]<class T>(std::type_identity<T>) {
        if constexpr (std::derived_from<T, converge::codec::CerealSerializable<T>>) {
            std::istringstream stream{std::string(in.rest())};
            std::optional<cereal::PortableBinaryInputArchive> archive;
            try {
                archive.emplace(stream);  // cereal's own header (one endianness byte)
            } catch (const cereal::Exception&) {
                return;
            }
            T value;
            const T before = value;
            try {
                (*archive)(value);
            } catch (const converge::DecodeError&) {
                FUZZ_CHECK(value == before);
                return;
            }
            converge::fuzz::check_decoded(value);
            std::ostringstream out;
            {
                cereal::PortableBinaryOutputArchive writer(out);
                writer(value);
            }
            std::istringstream again(out.str());
            cereal::PortableBinaryInputArchive reader(again);
            T copy;
            reader(copy);
            FUZZ_CHECK(copy == value);
        }
    });
    return 0;
}
