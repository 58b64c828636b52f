// Fuzz target: the Boost.Serialization path of every CRDT type (crdt/boost_serialization.hpp).
// Input: a type selector byte, then a binary archive's bytes, written with no_header: Boost's own
// header parsing trusts the signature's length prefix (a 30-byte header asks for 2^59 bytes), so
// an archive from anywhere untrusted must be opened without it (crdt/boost_serialization.hpp).
#include <sstream>

#include "crdt_types.hpp"
#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>

#include <crdt/boost_serialization.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    converge::fuzz::Input in(data, size);
    converge::fuzz::with_crdt_type(in.byte(), [&]<class T>(std::type_identity<T>) {
        if constexpr (converge::BoostSerializable<T>) {
            std::istringstream stream{std::string(in.rest())};
            boost::archive::binary_iarchive archive(stream, boost::archive::no_header);
            T value;
            const T before = value;
            try {
                archive >> value;
            } catch (const converge::DecodeError&) {
                FUZZ_CHECK(value == before);
                return;
            }
            converge::fuzz::check_decoded(value);
            std::stringstream round_trip;
            {
                boost::archive::binary_oarchive writer(round_trip, boost::archive::no_header);
                writer << static_cast<const T&>(value);
            }
            boost::archive::binary_iarchive reader(round_trip, boost::archive::no_header);
            T copy;
            reader >> copy;
            FUZZ_CHECK(copy == value);
        }
    });
    return 0;
}
