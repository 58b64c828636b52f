// File: crdt/detail/small_vector.hpp
// A vector of trivially copyable values that keeps its first N elements inline, so the common
// small cases (a counter with one contributor, an element with one dot) never allocate.
#pragma once

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <new>
#include <type_traits>

namespace converge::detail {

template <class T, std::size_t N>
class SmallVector {
    static_assert(std::is_trivially_copyable_v<T>, "SmallVector holds trivially copyable values");
    static_assert(N >= 1);

  public:
    using value_type = T;
    using iterator = T*;
    using const_iterator = const T*;

    SmallVector() noexcept = default;
    SmallVector(std::initializer_list<T> values) {
        reserve(values.size());
        for (const T& v : values)
            push_back(v);
    }
    SmallVector(const SmallVector& other) { assign_from(other); }
    SmallVector(SmallVector&& other) noexcept { steal_from(other); }
    SmallVector& operator=(const SmallVector& other) {
        if (this != &other) {
            size_ = 0;
            assign_from(other);
        }
        return *this;
    }
    SmallVector& operator=(SmallVector&& other) noexcept {
        if (this != &other) {
            release();
            steal_from(other);
        }
        return *this;
    }
    ~SmallVector() { release(); }

    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    T* data() noexcept { return data_; }
    const T* data() const noexcept { return data_; }
    T* begin() noexcept { return data_; }
    T* end() noexcept { return data_ + size_; }
    const T* begin() const noexcept { return data_; }
    const T* end() const noexcept { return data_ + size_; }
    T& operator[](std::size_t i) noexcept {
        assert(i < size_);
        return data_[i];
    }
    const T& operator[](std::size_t i) const noexcept {
        assert(i < size_);
        return data_[i];
    }
    T& back() noexcept {
        assert(size_ > 0);
        return data_[size_ - 1];
    }

    void clear() noexcept { size_ = 0; }
    void reserve(std::size_t capacity) {
        if (capacity > capacity_) grow_to(capacity);
    }
    void push_back(const T& value) {
        if (size_ == capacity_) grow_to(std::size_t{capacity_} * 2);
        data_[size_++] = value;
    }
    // Inserts value before pos; returns an iterator to the inserted value.
    T* insert(const T* pos, const T& value) {
        const std::size_t index = static_cast<std::size_t>(pos - data_);
        assert(index <= size_);
        const T copy = value;
        if (size_ == capacity_) grow_to(std::size_t{capacity_} * 2);
        std::memmove(static_cast<void*>(data_ + index + 1), data_ + index,
                     (size_ - index) * sizeof(T));
        data_[index] = copy;
        ++size_;
        return data_ + index;
    }
    T* erase(const T* pos) { return erase(pos, pos + 1); }
    T* erase(const T* first, const T* last) {
        const std::size_t index = static_cast<std::size_t>(first - data_);
        const std::size_t count = static_cast<std::size_t>(last - first);
        assert(index + count <= size_);
        std::memmove(static_cast<void*>(data_ + index), data_ + index + count,
                     (size_ - index - count) * sizeof(T));
        size_ -= static_cast<std::uint32_t>(count);
        return data_ + index;
    }
    void pop_back() noexcept {
        assert(size_ > 0);
        --size_;
    }

    friend bool operator==(const SmallVector& a, const SmallVector& b) {
        return std::equal(a.begin(), a.end(), b.begin(), b.end());
    }

  private:
    T* inline_data() noexcept { return std::launder(reinterpret_cast<T*>(inline_)); }
    bool is_inline() const noexcept { return data_ == reinterpret_cast<const T*>(inline_); }

    void grow_to(std::size_t capacity) {
        assert(capacity > capacity_ && capacity <= UINT32_MAX);
        T* fresh = static_cast<T*>(::operator new(capacity * sizeof(T)));
        std::memcpy(static_cast<void*>(fresh), data_, size_ * sizeof(T));
        release();
        data_ = fresh;
        capacity_ = static_cast<std::uint32_t>(capacity);
    }
    void release() noexcept {
        if (!is_inline()) ::operator delete(data_);
        data_ = inline_data();
        capacity_ = N;
    }
    void assign_from(const SmallVector& other) {
        reserve(other.size_);
        std::memcpy(static_cast<void*>(data_), other.data_, other.size_ * sizeof(T));
        size_ = other.size_;
    }
    void steal_from(SmallVector& other) noexcept {
        if (other.is_inline()) {
            std::memcpy(static_cast<void*>(data_), other.data_, other.size_ * sizeof(T));
        } else {
            data_ = other.data_;
            capacity_ = other.capacity_;
            other.data_ = other.inline_data();
            other.capacity_ = N;
        }
        size_ = other.size_;
        other.size_ = 0;
    }

    alignas(T) unsigned char inline_[N * sizeof(T)];
    T* data_ = inline_data();
    std::uint32_t size_ = 0;
    std::uint32_t capacity_ = N;
};

}  // namespace converge::detail
