// Conformance: the write probe behind readiness checks (Store::probe_write).
#pragma once

#include "store/conformance/store_fixture.h"

namespace pop::store::conformance {

template <typename Harness>
class WriteProbeConformance : public StoreTest<Harness> {};

TYPED_TEST_SUITE_P(WriteProbeConformance);

TYPED_TEST_P(WriteProbeConformance, ProbesSucceedAgainAndAgainAndChangeNothingElse) {
  insert(this->store(), new_agenda("a"));
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(ok(this->store().probe_write(at(i))));
  this->reopen();
  EXPECT_TRUE(ok(this->store().probe_write(at(10))));

  auto agendas = this->store().list_agendas({});
  ASSERT_TRUE(ok(agendas));
  ASSERT_EQ(agendas->items.size(), 1u);
  EXPECT_EQ(agendas->items[0].id, "a");
  for (DocumentKind kind :
       {DocumentKind::kCustomer, DocumentKind::kResourcePool, DocumentKind::kInsight,
        DocumentKind::kAgendaTemplate, DocumentKind::kApiToken, DocumentKind::kReportedOutput,
        DocumentKind::kServerSecret}) {
    auto documents = this->store().list_documents({kind, std::nullopt, "", 10});
    ASSERT_TRUE(ok(documents));
    EXPECT_TRUE(documents->items.empty()) << document_kind_name(kind);
  }
  auto audit = this->store().list_audit({});
  ASSERT_TRUE(ok(audit));
  EXPECT_TRUE(audit->items.empty());
}

REGISTER_TYPED_TEST_SUITE_P(WriteProbeConformance, ProbesSucceedAgainAndAgainAndChangeNothingElse);

}  // namespace pop::store::conformance
