// File: sim/error.hpp
// A scenario that cannot run as written: the message names the file position and the reason.
#pragma once

#include <crdt/error.hpp>

namespace converge::sim {

class ScenarioError : public converge::Error {
  public:
    using converge::Error::Error;
};

}  // namespace converge::sim
