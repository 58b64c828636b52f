// File: crdt/boost_serialization.hpp
// Boost.Serialization support for every converge CRDT, for applications that already use Boost
// archives (link converge::crdt_boost). The archive holds converge's canonical encoding as a
// length-prefixed binary blob; loading is bounded like every converge decoder, and a malformed or
// truncated archive throws converge::DecodeError and leaves the target unchanged.
//
//   boost::archive::binary_oarchive out(stream);   out << set;
//   boost::archive::binary_iarchive in(stream);    in >> copy;
//
// Boost archives are neither portable nor forward compatible across Boost versions: use cereal's
// PortableBinary archives, or converge::encode, for the wire and for files. Boost's own archive
// header is not safe on untrusted bytes (binary_iarchive's constructor allocates whatever length
// the header's signature claims, up to 2^64): open an archive from an untrusted source with
// boost::archive::no_header (both ends), as fuzz/crdt_boost.cpp does.
#pragma once

#include <concepts>
#include <string>

#include <boost/archive/archive_exception.hpp>
#include <boost/serialization/level.hpp>
#include <boost/serialization/split_free.hpp>

#include <crdt/codec/cereal_blob.hpp>
#include <crdt/encoding.hpp>

namespace converge {

template <class T>
concept BoostSerializable =
    codec::SelfEncoding<T> && std::derived_from<T, codec::CerealSerializable<T>>;

}  // namespace converge

// Boost finds these through its version_type argument; they live in boost::serialization rather
// than converge so cereal's lookup of non-member save/load never sees them.
namespace boost::serialization {

template <class Archive, converge::BoostSerializable T>
void save(Archive& ar, const T& value, const unsigned int /*version*/) {
    converge::codec::write_blob(converge::encode(value),
                                [&](const void* data, std::size_t n) { ar.save_binary(data, n); });
}

template <class Archive, converge::BoostSerializable T>
void load(Archive& ar, T& value, const unsigned int /*version*/) {
    std::string bytes;
    try {
        bytes =
            converge::codec::read_blob([&](void* data, std::size_t n) { ar.load_binary(data, n); });
    } catch (const boost::archive::archive_exception& e) {
        throw converge::DecodeError(std::string("truncated Boost archive: ") + e.what());
    }
    converge::decode_into(value, bytes);
}

template <class Archive, converge::BoostSerializable T>
void serialize(Archive& ar, T& value, const unsigned int version) {
    boost::serialization::split_free(ar, value, version);
}

// No class information (tracking flag, class version) precedes the blob: there is nothing for
// Boost to read but converge's bounded load, so a truncated archive fails with DecodeError.
template <converge::BoostSerializable T>
struct implementation_level_impl<const T> {
    using tag = mpl::integral_c_tag;
    using type = mpl::int_<object_serializable>;
    static constexpr int value = type::value;
};

}  // namespace boost::serialization
