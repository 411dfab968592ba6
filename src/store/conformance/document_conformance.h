// Conformance: configuration documents and the audit log.
#pragma once

#include <string>
#include <vector>

#include "store/conformance/store_fixture.h"

namespace pop::store::conformance {

inline DocumentRecord document(DocumentKind kind, std::string id, std::string owner = {},
                               Json body = {{"title", "t"}}) {
  DocumentRecord record;
  record.kind = kind;
  record.id = std::move(id);
  record.owner_customer_id = std::move(owner);
  record.added_time = at(10);
  record.updated_time = at(10);
  record.document = std::move(body);
  return record;
}

inline AuditRecord audit(std::string actor, std::string action, std::string target,
                         std::int64_t time) {
  return {0,
          at(time),
          std::move(actor),
          std::move(action),
          std::move(target),
          "ok",
          Json{{"time", time}}};
}

template <typename Harness>
class DocumentConformance : public StoreTest<Harness> {
 protected:
  std::vector<std::string> document_ids(DocumentQuery query) {
    std::vector<std::string> ids;
    while (true) {
      auto page = this->store().list_documents(query);
      EXPECT_TRUE(ok(page));
      if (!page) return ids;
      for (const DocumentRecord& record : page->items) ids.push_back(record.id);
      if (!page->more) return ids;
      query.cursor = page->next_cursor;
    }
  }

  std::vector<std::int64_t> audit_times(AuditQuery query) {
    std::vector<std::int64_t> times;
    while (true) {
      auto page = this->store().list_audit(query);
      EXPECT_TRUE(ok(page));
      if (!page) return times;
      for (const AuditRecord& record : page->items)
        times.push_back(record.details["time"].get<std::int64_t>());
      if (!page->more) return times;
      query.cursor = page->next_cursor;
    }
  }
};
TYPED_TEST_SUITE_P(DocumentConformance);

TYPED_TEST_P(DocumentConformance, CreateThenGetReturnsVersionOne) {
  DocumentRecord insight = document(DocumentKind::kInsight, "gpu", "acme",
                                    {{"queueSize", 4}, {"mappers", {{"operationType", {"x"}}}}});
  auto version = this->store().create_document(insight);
  ASSERT_TRUE(ok(version));
  EXPECT_EQ(*version, 1);
  auto stored = this->store().get_document(DocumentKind::kInsight, "gpu");
  ASSERT_TRUE(ok(stored));
  EXPECT_EQ(stored->kind, DocumentKind::kInsight);
  EXPECT_EQ(stored->id, "gpu");
  EXPECT_EQ(stored->owner_customer_id, "acme");
  EXPECT_EQ(stored->version, 1);
  EXPECT_EQ(stored->added_time, at(10));
  EXPECT_EQ(stored->updated_time, at(10));
  EXPECT_EQ(stored->document, insight.document);
}

TYPED_TEST_P(DocumentConformance, IdsAreUniquePerKind) {
  ASSERT_TRUE(ok(this->store().create_document(document(DocumentKind::kCustomer, "x"))));
  EXPECT_TRUE(fails_with(this->store().create_document(document(DocumentKind::kCustomer, "x")),
                         ErrorCode::kConflict));
  ASSERT_TRUE(ok(this->store().create_document(document(DocumentKind::kResourcePool, "x"))));
  EXPECT_TRUE(
      fails_with(this->store().get_document(DocumentKind::kInsight, "x"), ErrorCode::kNotFound));
}

TYPED_TEST_P(DocumentConformance, UpdateWithTheExpectedVersionIncrementsIt) {
  ASSERT_TRUE(ok(this->store().create_document(document(DocumentKind::kCustomer, "c"))));
  DocumentRecord change = document(DocumentKind::kCustomer, "c", "owner-2", {{"title", "v2"}});
  change.added_time = at(999);  // ignored: creation time is kept
  change.updated_time = at(20);
  auto version = this->store().update_document(change, 1);
  ASSERT_TRUE(ok(version));
  EXPECT_EQ(*version, 2);
  change.document = {{"title", "v3"}};
  version = this->store().update_document(change, 2);
  ASSERT_TRUE(ok(version));
  EXPECT_EQ(*version, 3);
  auto stored = this->store().get_document(DocumentKind::kCustomer, "c");
  ASSERT_TRUE(ok(stored));
  EXPECT_EQ(stored->version, 3);
  EXPECT_EQ(stored->owner_customer_id, "owner-2");
  EXPECT_EQ(stored->document, change.document);
  EXPECT_EQ(stored->added_time, at(10));
  EXPECT_EQ(stored->updated_time, at(20));
}

TYPED_TEST_P(DocumentConformance, StaleVersionIsConflictAndChangesNothing) {
  ASSERT_TRUE(ok(this->store().create_document(document(DocumentKind::kAgendaTemplate, "t"))));
  DocumentRecord change = document(DocumentKind::kAgendaTemplate, "t", "", {{"title", "new"}});
  ASSERT_TRUE(ok(this->store().update_document(change, 1)));
  change.document = {{"title", "lost update"}};
  EXPECT_TRUE(fails_with(this->store().update_document(change, 1), ErrorCode::kConflict));
  EXPECT_TRUE(fails_with(this->store().update_document(change, 3), ErrorCode::kConflict));
  auto stored = this->store().get_document(DocumentKind::kAgendaTemplate, "t");
  ASSERT_TRUE(ok(stored));
  EXPECT_EQ(stored->version, 2);
  EXPECT_EQ(stored->document["title"], "new");
  EXPECT_TRUE(fails_with(
      this->store().update_document(document(DocumentKind::kAgendaTemplate, "missing"), 1),
      ErrorCode::kNotFound));
}

TYPED_TEST_P(DocumentConformance, DeleteChecksTheVersionWhenGiven) {
  ASSERT_TRUE(ok(this->store().create_document(document(DocumentKind::kApiToken, "tok"))));
  EXPECT_TRUE(fails_with(this->store().delete_document(DocumentKind::kApiToken, "tok", 2),
                         ErrorCode::kConflict));
  ASSERT_TRUE(ok(this->store().get_document(DocumentKind::kApiToken, "tok")));
  ASSERT_TRUE(ok(this->store().delete_document(DocumentKind::kApiToken, "tok", 1)));
  EXPECT_TRUE(
      fails_with(this->store().get_document(DocumentKind::kApiToken, "tok"), ErrorCode::kNotFound));
  EXPECT_TRUE(fails_with(this->store().delete_document(DocumentKind::kApiToken, "tok", 1),
                         ErrorCode::kNotFound));

  ASSERT_TRUE(ok(this->store().create_document(document(DocumentKind::kApiToken, "tok"))));
  ASSERT_TRUE(ok(this->store().delete_document(DocumentKind::kApiToken, "tok", std::nullopt)));
  EXPECT_TRUE(
      fails_with(this->store().delete_document(DocumentKind::kApiToken, "tok", std::nullopt),
                 ErrorCode::kNotFound));
}

TYPED_TEST_P(DocumentConformance, ListByKindAndOwnerInIdOrderAcrossPages) {
  for (const char* id : {"i05", "i01", "i03", "i02", "i04"}) {
    const std::string owner = std::string(id) < "i03" ? "acme" : "";
    ASSERT_TRUE(ok(this->store().create_document(document(DocumentKind::kInsight, id, owner))));
  }
  ASSERT_TRUE(ok(this->store().create_document(document(DocumentKind::kCustomer, "i00"))));
  using V = std::vector<std::string>;
  DocumentQuery query;
  query.kind = DocumentKind::kInsight;
  query.limit = 2;
  EXPECT_EQ(this->document_ids(query), (V{"i01", "i02", "i03", "i04", "i05"}));
  query.owner_customer_id = "acme";
  EXPECT_EQ(this->document_ids(query), (V{"i01", "i02"}));
  query.owner_customer_id = "";
  EXPECT_EQ(this->document_ids(query), (V{"i03", "i04", "i05"}));
  query.kind = DocumentKind::kAgendaTemplate;
  query.owner_customer_id.reset();
  EXPECT_EQ(this->document_ids(query), V{});

  query.kind = DocumentKind::kInsight;
  query.cursor = "a:1";  // an agenda listing's cursor shape
  EXPECT_TRUE(fails_with(this->store().list_documents(query), ErrorCode::kInvalidArgument));
}

TYPED_TEST_P(DocumentConformance, AuditAppendsInOrderAndListsBothWays) {
  std::int64_t previous = 0;
  for (int i = 0; i < 7; ++i) {
    auto sequence = this->store().append_audit(
        audit(i % 2 == 0 ? "alice" : "bob", "agenda.submit", "a" + std::to_string(i % 3), i));
    ASSERT_TRUE(ok(sequence));
    EXPECT_GT(*sequence, previous);
    previous = *sequence;
  }
  using V = std::vector<std::int64_t>;
  AuditQuery query;
  query.limit = 3;
  EXPECT_EQ(this->audit_times(query), (V{0, 1, 2, 3, 4, 5, 6}));
  query.newest_first = true;
  EXPECT_EQ(this->audit_times(query), (V{6, 5, 4, 3, 2, 1, 0}));
  query.actor = "alice";
  EXPECT_EQ(this->audit_times(query), (V{6, 4, 2, 0}));
  query.target = "a0";
  EXPECT_EQ(this->audit_times(query), (V{6, 0}));
  query.actor.reset();
  query.newest_first = false;
  EXPECT_EQ(this->audit_times(query), (V{0, 3, 6}));

  auto page = this->store().list_audit({});
  ASSERT_TRUE(ok(page));
  ASSERT_EQ(page->items.size(), 7u);
  const AuditRecord& first = page->items.front();
  EXPECT_EQ(first.time, at(0));
  EXPECT_EQ(first.actor, "alice");
  EXPECT_EQ(first.action, "agenda.submit");
  EXPECT_EQ(first.target, "a0");
  EXPECT_EQ(first.outcome, "ok");
  EXPECT_EQ(first.details, (Json{{"time", 0}}));

  query = {};
  query.cursor = "nonsense";
  EXPECT_TRUE(fails_with(this->store().list_audit(query), ErrorCode::kInvalidArgument));
}

REGISTER_TYPED_TEST_SUITE_P(DocumentConformance, CreateThenGetReturnsVersionOne,
                            IdsAreUniquePerKind, UpdateWithTheExpectedVersionIncrementsIt,
                            StaleVersionIsConflictAndChangesNothing,
                            DeleteChecksTheVersionWhenGiven, ListByKindAndOwnerInIdOrderAcrossPages,
                            AuditAppendsInOrderAndListsBothWays);

}  // namespace pop::store::conformance
