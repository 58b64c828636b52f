// File: crdt/crdt.hpp
// Umbrella header: every converge CRDT, the causality primitives and the encoding.
// Thread-safety: every type here is a plain value (no internal locking, no shared state between
// objects): const members may run concurrently on one object, a change needs exclusive access.
//
//   #include <crdt/crdt.hpp>
//   using namespace converge;
#pragma once

#include <crdt/causal_context.hpp>
#include <crdt/deadline.hpp>
#include <crdt/dot.hpp>
#include <crdt/encoding.hpp>
#include <crdt/error.hpp>
#include <crdt/expiring_set.hpp>
#include <crdt/gcounter.hpp>
#include <crdt/gset.hpp>
#include <crdt/hybrid_clock.hpp>
#include <crdt/hyper_log_log.hpp>
#include <crdt/lww_element_set.hpp>
#include <crdt/lww_register.hpp>
#include <crdt/mv_register.hpp>
#include <crdt/or_hash.hpp>
#include <crdt/or_map.hpp>
#include <crdt/or_set.hpp>
#include <crdt/pn_counter.hpp>
#include <crdt/print.hpp>
#include <crdt/replica_id.hpp>
#include <crdt/resettable_counter.hpp>
#include <crdt/retired_ids.hpp>
#include <crdt/sorted_set.hpp>
#include <crdt/timestamp.hpp>
#include <crdt/two_p_set.hpp>
#include <crdt/version_vector.hpp>
