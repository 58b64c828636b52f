// File: tests/store/arbitrary_faults.hpp
// The network faults the store's rapidcheck properties run under, drawn inside a property: up to
// half the frames lost, 30 % duplicated, half reordered, delays of up to 4 steps.
#pragma once

#include <cstdint>

#include <rapidcheck.h>

#include <store/testing/loopback_network.hpp>

namespace converge::store::testing {

inline LoopbackFaults arbitrary_faults() {
    LoopbackFaults faults;
    faults.link.loss = *rc::gen::inRange(0, 50) / 100.0;
    faults.link.duplicate = *rc::gen::inRange(0, 30) / 100.0;
    faults.link.reorder = *rc::gen::inRange(0, 50) / 100.0;
    faults.max_delay_steps = *rc::gen::inRange<std::uint32_t>(0, 4);
    return faults;
}

}  // namespace converge::store::testing
