// File: crdt/error.hpp
// The one error hierarchy of converge. Every exception the library throws on purpose derives from
// converge::Error, so `catch (const converge::Error&)` catches them all.
#pragma once

#include <stdexcept>
#include <string>

namespace converge {

// Base of every error converge reports. what() says what was wrong and, where it can, what to do.
class Error : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Bytes that do not decode to a valid value: truncated, malformed, over a limit, or violating an
// invariant of the type. The decode target is left exactly as it was.
class DecodeError : public Error {
  public:
    explicit DecodeError(const std::string& reason) : Error("decode error: " + reason) {}
};

// An operation would break a type's invariant (a counter past 2^64-1, for instance). The object
// is left exactly as it was before the call.
class InvalidOperation : public Error {
  public:
    using Error::Error;
};

// A key used as a type other than the one it holds (a counter read as a set, say). Nothing was
// changed; use the key's own type, or another key.
class TypeMismatch : public Error {
  public:
    using Error::Error;
};

}  // namespace converge
