// The conformance suite every Store implementation must pass: one set of typed tests,
// instantiated once per implementation with a harness that opens it (store_fixture.h says
// what a harness provides). In the implementation's test file:
//
//   #include "store/conformance/store_conformance.h"
//   POP_INSTANTIATE_STORE_CONFORMANCE(Sqlite, ::pop::store::sqlite::SqliteHarness);
//
// The suites test only what store.h promises, so a test that fails for one implementation
// is a bug in that implementation (or a gap in the contract to fix in store.h first).
#pragma once

#include "store/conformance/agenda_conformance.h"
#include "store/conformance/attempt_log_conformance.h"
#include "store/conformance/concurrency_conformance.h"
#include "store/conformance/document_conformance.h"
#include "store/conformance/lease_conformance.h"
#include "store/conformance/write_probe_conformance.h"

// Instantiates every conformance suite for `Harness` (a name that resolves from namespace
// pop::store::conformance, e.g. fully qualified), with test names starting `Prefix/`. Use at
// namespace scope.
#define POP_INSTANTIATE_STORE_CONFORMANCE(Prefix, Harness)                                   \
  namespace pop::store::conformance {                                                        \
  INSTANTIATE_TYPED_TEST_SUITE_P(Prefix, AgendaConformance, ::testing::Types<Harness>);      \
  INSTANTIATE_TYPED_TEST_SUITE_P(Prefix, LeaseConformance, ::testing::Types<Harness>);       \
  INSTANTIATE_TYPED_TEST_SUITE_P(Prefix, DocumentConformance, ::testing::Types<Harness>);    \
  INSTANTIATE_TYPED_TEST_SUITE_P(Prefix, ConcurrencyConformance, ::testing::Types<Harness>); \
  INSTANTIATE_TYPED_TEST_SUITE_P(Prefix, WriteProbeConformance, ::testing::Types<Harness>);  \
  INSTANTIATE_TYPED_TEST_SUITE_P(Prefix, AttemptLogConformance, ::testing::Types<Harness>);  \
  }                                                                                          \
  static_assert(true, "require a semicolon after the macro")
