// File: store/keyspace/boxed.hpp
// Boxed<T>: a T on the heap with a value's semantics (a copy copies the T), so a variant that
// holds one is no wider than a pointer for it. Value boxes its rarely used, wide alternatives.
#pragma once

#include <cassert>
#include <memory>
#include <utility>

namespace converge::store::detail {

template <class T>
class Boxed {
  public:
    explicit Boxed(T held) : held_(std::make_unique<T>(std::move(held))) {}
    Boxed(const Boxed& other) : held_(std::make_unique<T>(*other)) {}
    Boxed(Boxed&&) noexcept = default;
    Boxed& operator=(const Boxed& other) {
        if (held_ == nullptr)
            held_ = std::make_unique<T>(*other);
        else if (this != &other)
            *held_ = *other;
        return *this;
    }
    Boxed& operator=(Boxed&&) noexcept = default;
    ~Boxed() = default;

    // The T. Precondition: this Boxed was not moved from.
    T& operator*() noexcept {
        assert(held_ != nullptr && "a moved-from Boxed holds nothing");
        return *held_;
    }
    const T& operator*() const noexcept {
        assert(held_ != nullptr && "a moved-from Boxed holds nothing");
        return *held_;
    }

  private:
    std::unique_ptr<T> held_;
};

}  // namespace converge::store::detail
