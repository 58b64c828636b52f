// File: crdt/lww_element_set.hpp
// LWWElementSet<T>: a set whose membership is decided per element by the latest timestamp: an
// element is present when its latest add is at or after its latest remove (adds win ties). Suits
// membership with timestamps (who is online, as of when). Removed elements keep their remove
// timestamp as a tombstone. T must be totally ordered.
//
//   LWWElementSet<std::string> s;
//   s.add(Timestamp{10, 0, a}, "x");  s.remove(Timestamp{9, 0, b}, "x");  s.contains("x");  // true
// Thread-safety: a plain value type; const members may run concurrently, anything that changes
// it (a mutator, merge, assignment, decode into it) needs exclusive access.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <crdt/codec/cereal_blob.hpp>
#include <crdt/codec/value_codec.hpp>
#include <crdt/timestamp.hpp>

namespace converge {

template <class T>
class LWWElementSet : public codec::CerealSerializable<LWWElementSet<T>> {
  public:
    using value_type = T;

    // The latest add and remove seen for one element.
    struct Stamps {
        std::optional<Timestamp> added;
        std::optional<Timestamp> removed;
        friend bool operator==(const Stamps&, const Stamps&) = default;
    };

    LWWElementSet() = default;

    // Records an add of value at timestamp; returns the delta.
    LWWElementSet add(const Timestamp& timestamp, T value) {
        LWWElementSet delta;
        delta.stamps_[value].added = timestamp;
        merge(delta);
        return delta;
    }

    // Records a remove of value at timestamp; returns the delta.
    LWWElementSet remove(const Timestamp& timestamp, T value) {
        LWWElementSet delta;
        delta.stamps_[value].removed = timestamp;
        merge(delta);
        return delta;
    }

    bool contains(const T& value) const {
        auto it = stamps_.find(value);
        return it != stamps_.end() && present(it->second);
    }
    // The live elements in ascending order.
    std::vector<T> elements() const {
        std::vector<T> out;
        for (const auto& [value, stamps] : stamps_)
            if (present(stamps)) out.push_back(value);
        return out;
    }
    std::size_t size() const noexcept {
        std::size_t n = 0;
        for (const auto& entry : stamps_)
            n += present(entry.second) ? 1 : 0;
        return n;
    }
    // The latest add and remove timestamps of value, if any.
    Stamps stamps(const T& value) const {
        auto it = stamps_.find(value);
        return it == stamps_.end() ? Stamps{} : it->second;
    }

    // The join: per element, the later add and the later remove.
    void merge(const LWWElementSet& other) {
        for (const auto& [value, theirs] : other.stamps_) {
            Stamps& mine = stamps_[value];
            if (theirs.added && (!mine.added || *mine.added < *theirs.added))
                mine.added = theirs.added;
            if (theirs.removed && (!mine.removed || *mine.removed < *theirs.removed))
                mine.removed = theirs.removed;
        }
    }

    friend bool operator==(const LWWElementSet&, const LWWElementSet&) = default;

    // Encoding: count, then per element (ascending): value, flags (1 add, 2 remove), timestamps.
    void encode(codec::Writer& w) const {
        w.varint(stamps_.size());
        typename codec::ValueCodec<T>::State state;
        for (const auto& [value, stamps] : stamps_) {
            codec::ValueCodec<T>::encode(w, value, state);
            w.byte(static_cast<std::uint8_t>((stamps.added ? 1 : 0) | (stamps.removed ? 2 : 0)));
            if (stamps.added) stamps.added->encode(w);
            if (stamps.removed) stamps.removed->encode(w);
        }
    }
    static LWWElementSet decode(codec::Reader& r) {
        LWWElementSet out;
        const std::size_t n = r.count("timestamped set elements", 5);
        typename codec::ValueCodec<T>::State state;
        for (std::size_t i = 0; i < n; ++i) {
            T value = codec::ValueCodec<T>::decode(r, state);
            if (!out.stamps_.empty() && !(out.stamps_.rbegin()->first < value))
                r.fail("timestamped set elements are not strictly ascending");
            const std::uint8_t flags = r.byte("timestamped set flags");
            if (flags == 0 || flags > 3)
                r.fail("timestamped set flags are " + std::to_string(flags));
            Stamps stamps;
            if (flags & 1) stamps.added = Timestamp::decode(r);
            if (flags & 2) stamps.removed = Timestamp::decode(r);
            out.stamps_.emplace_hint(out.stamps_.end(), std::move(value), stamps);
        }
        return out;
    }

  private:
    static bool present(const Stamps& s) noexcept {
        return s.added && (!s.removed || !(*s.added < *s.removed));
    }

    std::map<T, Stamps> stamps_;
};

}  // namespace converge
