// Conformance: agendas, their progress and the waiting set.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "store/conformance/store_fixture.h"

namespace pop::store::conformance {

template <typename Harness>
class AgendaConformance : public StoreTest<Harness> {};
TYPED_TEST_SUITE_P(AgendaConformance);

TYPED_TEST_P(AgendaConformance, InsertThenGetReturnsEveryField) {
  NewAgenda request = new_agenda("a1", "acme");
  request.agenda.resource_pool_id = "pool-7";
  request.agenda.insight_id = "gpu";
  request.agenda.link_id = "batch-42";
  request.agenda.title = "a title";
  request.agenda.priority = -5;
  request.agenda.added_time = at(1234);
  request.agenda.updated_time = at(5678);
  request.progress.percent_complete = 12.5;
  auto inserted = this->store().insert_agenda(request);
  ASSERT_TRUE(ok(inserted));
  EXPECT_EQ(inserted->agenda_id, "a1");
  EXPECT_FALSE(inserted->replayed);
  EXPECT_GT(inserted->sequence, 0);

  auto agenda = this->store().get_agenda("a1");
  ASSERT_TRUE(ok(agenda));
  EXPECT_EQ(agenda->id, "a1");
  EXPECT_EQ(agenda->customer_id, "acme");
  EXPECT_EQ(agenda->resource_pool_id, "pool-7");
  EXPECT_EQ(agenda->insight_id, "gpu");
  EXPECT_EQ(agenda->link_id, "batch-42");
  EXPECT_EQ(agenda->title, "a title");
  EXPECT_EQ(agenda->priority, -5);
  EXPECT_EQ(agenda->sequence, inserted->sequence);
  EXPECT_EQ(agenda->added_time, at(1234));
  EXPECT_EQ(agenda->updated_time, at(5678));
  EXPECT_EQ(agenda->document, request.agenda.document);

  auto progress = this->store().get_progress("a1");
  ASSERT_TRUE(ok(progress));
  EXPECT_EQ(progress->agenda_id, "a1");
  EXPECT_EQ(progress->processing_state, ProcessingState::kWaiting);
  EXPECT_EQ(progress->state_message, "pending");
  EXPECT_EQ(progress->attempts_completed, 0);
  EXPECT_EQ(progress->maximum_attempts, 3);
  EXPECT_EQ(progress->percent_complete, 12.5);
  EXPECT_EQ(progress->updated_time, at(0));
  EXPECT_EQ(progress->document, request.progress.document);
}

TYPED_TEST_P(AgendaConformance, DocumentsAndTimesRoundTrip) {
  NewAgenda request = new_agenda("unicode");
  request.agenda.document = {{"title", "Überprüfung — 検査 🎬"},
                             {"big", 9007199254740993LL},
                             {"negative", -1.5},
                             {"nested", {{"a", {1, 2, {{"b", nullptr}}}}}},
                             {"empty", Json::object()}};
  // Finer than a millisecond: kept at millisecond precision, never rounded up.
  request.agenda.added_time = at(7) + std::chrono::microseconds(999);
  ASSERT_TRUE(ok(this->store().insert_agenda(request)));
  auto agenda = this->store().get_agenda("unicode");
  ASSERT_TRUE(ok(agenda));
  EXPECT_EQ(agenda->document, request.agenda.document);
  EXPECT_EQ(agenda->added_time, at(7));
}

TYPED_TEST_P(AgendaConformance, UnserializableDocumentIsRejectedAndNothingStored) {
  NewAgenda request = new_agenda("bad-utf8");
  request.agenda.document = {{"title", std::string("\xff\xfe broken")}};
  EXPECT_TRUE(fails_with(this->store().insert_agenda(request), ErrorCode::kInvalidArgument));
  EXPECT_TRUE(fails_with(this->store().get_agenda("bad-utf8"), ErrorCode::kNotFound));
  EXPECT_TRUE(fails_with(this->store().get_progress("bad-utf8"), ErrorCode::kNotFound));
}

TYPED_TEST_P(AgendaConformance, SequencesIncreaseInInsertOrder) {
  std::int64_t previous = 0;
  for (int i = 0; i < 10; ++i) {
    const std::int64_t sequence = insert(this->store(), new_agenda("s" + std::to_string(i)));
    EXPECT_GT(sequence, previous);
    previous = sequence;
  }
}

TYPED_TEST_P(AgendaConformance, DuplicateIdIsConflictAndChangesNothing) {
  const std::int64_t first = insert(this->store(), new_agenda("dup", "acme"));
  NewAgenda again = new_agenda("dup", "globex", "key-1");
  again.agenda.document = {{"other", true}};
  again.progress = progress_of("dup", ProcessingState::kComplete, "failed");
  EXPECT_TRUE(fails_with(this->store().insert_agenda(again), ErrorCode::kConflict));

  auto agenda = this->store().get_agenda("dup");
  ASSERT_TRUE(ok(agenda));
  EXPECT_EQ(agenda->customer_id, "acme");
  EXPECT_EQ(agenda->sequence, first);
  EXPECT_EQ(agenda->document, agenda_document("dup"));
  auto progress = this->store().get_progress("dup");
  ASSERT_TRUE(ok(progress));
  EXPECT_EQ(progress->processing_state, ProcessingState::kWaiting);
  // The failed insert did not keep its idempotency key either.
  auto fresh = this->store().insert_agenda(new_agenda("other", "globex", "key-1"));
  ASSERT_TRUE(ok(fresh));
  EXPECT_FALSE(fresh->replayed);
}

TYPED_TEST_P(AgendaConformance, IdempotencyKeyReplayReturnsTheFirstAgenda) {
  auto first = this->store().insert_agenda(new_agenda("first", "acme", "submit-1"));
  ASSERT_TRUE(ok(first));
  EXPECT_FALSE(first->replayed);

  auto replay = this->store().insert_agenda(new_agenda("second", "acme", "submit-1"));
  ASSERT_TRUE(ok(replay));
  EXPECT_TRUE(replay->replayed);
  EXPECT_EQ(replay->agenda_id, "first");
  EXPECT_EQ(replay->sequence, first->sequence);
  EXPECT_TRUE(fails_with(this->store().get_agenda("second"), ErrorCode::kNotFound));
  EXPECT_TRUE(fails_with(this->store().get_progress("second"), ErrorCode::kNotFound));

  auto listed = this->store().list_agendas({});
  ASSERT_TRUE(ok(listed));
  EXPECT_EQ(listed->items.size(), 1u);
}

TYPED_TEST_P(AgendaConformance, InsertAppendsItsAuditRecordButNotOnAReplayOrAConflict) {
  auto audited = [](std::string id, std::string key) {
    NewAgenda request = new_agenda(id, "acme", std::move(key));
    request.audit =
        AuditRecord{0,    WallTime{std::chrono::seconds(5)}, "token:t", "agenda.submit", id,
                    "ok", Json{{"role", "member"}}};
    return request;
  };
  ASSERT_TRUE(ok(this->store().insert_agenda(audited("first", "k"))));
  auto replay = this->store().insert_agenda(audited("second", "k"));
  ASSERT_TRUE(ok(replay));
  EXPECT_TRUE(replay->replayed);
  EXPECT_TRUE(fails_with(this->store().insert_agenda(audited("first", "")), ErrorCode::kConflict));
  auto log = this->store().list_audit({});
  ASSERT_TRUE(ok(log));
  ASSERT_EQ(log->items.size(), 1u);
  EXPECT_EQ(log->items[0].target, "first");
  EXPECT_EQ(log->items[0].actor, "token:t");
  EXPECT_EQ(log->items[0].details, Json({{"role", "member"}}));
}

TYPED_TEST_P(AgendaConformance, IdempotencyKeyIsScopedToTheCustomer) {
  ASSERT_TRUE(ok(this->store().insert_agenda(new_agenda("acme-1", "acme", "k"))));
  auto other = this->store().insert_agenda(new_agenda("globex-1", "globex", "k"));
  ASSERT_TRUE(ok(other));
  EXPECT_FALSE(other->replayed);
  EXPECT_EQ(other->agenda_id, "globex-1");
  // No key at all never replays.
  ASSERT_TRUE(ok(this->store().insert_agenda(new_agenda("acme-2", "acme"))));
  ASSERT_TRUE(ok(this->store().insert_agenda(new_agenda("acme-3", "acme"))));
}

TYPED_TEST_P(AgendaConformance, UnknownAgendaIsNotFound) {
  EXPECT_TRUE(fails_with(this->store().get_agenda("nope"), ErrorCode::kNotFound));
  EXPECT_TRUE(fails_with(this->store().get_progress("nope"), ErrorCode::kNotFound));
  EXPECT_TRUE(fails_with(this->store().delete_agenda("nope"), ErrorCode::kNotFound));
  EXPECT_TRUE(fails_with(this->store().update_progress(progress_of("nope"), std::nullopt),
                         ErrorCode::kNotFound));
}

TYPED_TEST_P(AgendaConformance, ListPaginatesInSequenceOrderWithoutDuplicatesOrGaps) {
  std::vector<std::string> inserted;
  for (int i = 0; i < 25; ++i) {
    inserted.push_back("p" + std::to_string(i));
    insert(this->store(), new_agenda(inserted.back()));
  }
  std::vector<std::string> seen;
  AgendaQuery query;
  query.limit = 7;
  int pages = 0;
  while (true) {
    auto page = this->store().list_agendas(query);
    ASSERT_TRUE(ok(page));
    ++pages;
    EXPECT_LE(page->items.size(), 7u);
    for (const AgendaSummary& listed : page->items) seen.push_back(listed.id);
    if (!page->more) break;
    query.cursor = page->next_cursor;
  }
  EXPECT_EQ(pages, 4);
  EXPECT_EQ(seen, inserted);
}

TYPED_TEST_P(AgendaConformance, LastPageCursorTailsNewAgendas) {
  for (int i = 0; i < 6; ++i) insert(this->store(), new_agenda("f" + std::to_string(i)));
  AgendaQuery query;
  query.limit = 3;
  auto first = this->store().list_agendas(query);
  ASSERT_TRUE(ok(first));
  EXPECT_TRUE(first->more);
  query.cursor = first->next_cursor;
  auto second = this->store().list_agendas(query);
  ASSERT_TRUE(ok(second));
  EXPECT_EQ(second->items.size(), 3u);
  EXPECT_FALSE(second->more);  // exactly full, and nothing after it

  query.cursor = second->next_cursor;
  auto empty = this->store().list_agendas(query);
  ASSERT_TRUE(ok(empty));
  EXPECT_TRUE(empty->items.empty());
  EXPECT_FALSE(empty->more);
  // The cursor of the last (even of an empty) page picks up exactly what was added since.
  insert(this->store(), new_agenda("late"));
  query.cursor = empty->next_cursor;
  auto tail = this->store().list_agendas(query);
  ASSERT_TRUE(ok(tail));
  ASSERT_EQ(tail->items.size(), 1u);
  EXPECT_EQ(tail->items.front().id, "late");

  query = {};
  query.customer_id = "nobody";
  auto none = this->store().list_agendas(query);
  ASSERT_TRUE(ok(none));
  EXPECT_TRUE(none->items.empty());
  EXPECT_FALSE(none->more);
}

TYPED_TEST_P(AgendaConformance, ListFiltersByCustomerLinkAndState) {
  auto add = [&](const std::string& id, const std::string& customer, const std::string& link,
                 ProcessingState state) {
    NewAgenda request = new_agenda(id, customer);
    request.agenda.link_id = link;
    request.progress = progress_of(id, state, "x");
    insert(this->store(), request);
  };
  add("1", "acme", "L1", ProcessingState::kWaiting);
  add("2", "acme", "L2", ProcessingState::kExecuting);
  add("3", "globex", "L1", ProcessingState::kWaiting);
  add("4", "acme", "L1", ProcessingState::kComplete);
  add("5", "acme", "", ProcessingState::kWaiting);

  auto ids = [&](AgendaQuery query) {
    std::vector<std::string> result;
    auto page = this->store().list_agendas(query);
    EXPECT_TRUE(ok(page));
    if (page) {
      for (const AgendaSummary& listed : page->items) result.push_back(listed.id);
    }
    return result;
  };
  using V = std::vector<std::string>;
  AgendaQuery query;
  EXPECT_EQ(ids(query), (V{"1", "2", "3", "4", "5"}));
  query.customer_id = "acme";
  EXPECT_EQ(ids(query), (V{"1", "2", "4", "5"}));
  query.link_id = "L1";
  EXPECT_EQ(ids(query), (V{"1", "4"}));
  query.processing_state = ProcessingState::kComplete;
  EXPECT_EQ(ids(query), (V{"4"}));
  query.customer_id.reset();
  query.link_id.reset();
  query.processing_state = ProcessingState::kWaiting;
  EXPECT_EQ(ids(query), (V{"1", "3", "5"}));
  query.link_id = "L1";
  EXPECT_EQ(ids(query), (V{"1", "3"}));
  query = {};
  query.customer_id = "initech";
  EXPECT_EQ(ids(query), V{});

  // Any of several customers, with the other filters.
  query = {};
  query.customer_ids = {"globex", "initech"};
  EXPECT_EQ(ids(query), V{"3"});
  query.customer_ids = {"acme", "globex"};
  query.link_id = "L1";
  EXPECT_EQ(ids(query), (V{"1", "3", "4"}));
  query.customer_id = "globex";
  EXPECT_EQ(ids(query), V{"3"});

  query = {};
  query.insight_id = "nowhere";
  EXPECT_EQ(ids(query), V{});
  query.insight_id = "insight-1";
  query.link_id = "L2";
  EXPECT_EQ(ids(query), V{"2"});

  // A state change moves the agenda between filtered listings.
  ASSERT_TRUE(ok(this->store().update_progress(
      progress_of("1", ProcessingState::kExecuting, "running"), std::nullopt)));
  query = {};
  query.processing_state = ProcessingState::kExecuting;
  EXPECT_EQ(ids(query), (V{"1", "2"}));
}

// A listed agenda is its summary: the agenda's columns with its progress' columns, following
// each progress update.
TYPED_TEST_P(AgendaConformance, ListReturnsEachAgendasSummary) {
  NewAgenda request = new_agenda("s1", "acme");
  request.agenda.resource_pool_id = "pool-7";
  request.agenda.insight_id = "gpu";
  request.agenda.link_id = "batch-42";
  request.agenda.title = "Überprüfung — 検査";
  request.agenda.priority = -5;
  request.agenda.added_time = at(1234);
  request.progress = progress_of("s1", ProcessingState::kWaiting, "pending", 0, at(1500));
  const std::int64_t sequence = insert(this->store(), request);

  auto page = this->store().list_agendas({});
  ASSERT_TRUE(ok(page));
  ASSERT_EQ(page->items.size(), 1u);
  const AgendaSummary& summary = page->items[0];
  EXPECT_EQ(summary.id, "s1");
  EXPECT_EQ(summary.customer_id, "acme");
  EXPECT_EQ(summary.resource_pool_id, "pool-7");
  EXPECT_EQ(summary.insight_id, "gpu");
  EXPECT_EQ(summary.link_id, "batch-42");
  EXPECT_EQ(summary.title, "Überprüfung — 検査");
  EXPECT_EQ(summary.priority, -5);
  EXPECT_EQ(summary.sequence, sequence);
  EXPECT_EQ(summary.added_time, at(1234));
  EXPECT_EQ(summary.processing_state, ProcessingState::kWaiting);
  EXPECT_EQ(summary.state_message, "pending");
  EXPECT_EQ(summary.attempts_completed, 0);
  EXPECT_EQ(summary.maximum_attempts, 3);
  EXPECT_EQ(summary.percent_complete, 0);
  EXPECT_EQ(summary.progress_updated_time, at(1500));

  ProgressRecord update = progress_of("s1", ProcessingState::kExecuting, "running", 1, at(2000));
  update.percent_complete = 62.5;
  update.document["percentComplete"] = 62.5;
  ASSERT_TRUE(ok(this->store().update_progress(update, std::nullopt)));
  page = this->store().list_agendas({});
  ASSERT_TRUE(ok(page));
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].processing_state, ProcessingState::kExecuting);
  EXPECT_EQ(page->items[0].state_message, "running");
  EXPECT_EQ(page->items[0].attempts_completed, 1);
  EXPECT_EQ(page->items[0].percent_complete, 62.5);
  EXPECT_EQ(page->items[0].progress_updated_time, at(2000));
}

// A page costs what its summaries cost, whatever its agendas hold: a listing reads neither the
// agenda documents nor the progress documents (a thousand agendas of 32 MiB each would
// otherwise make one page cost tens of GB). Each agenda here holds 100,000 JSON values in each
// document (about 1.2 MB of text, ten times that parsed); the page must not cost a tenth of
// one of them parsed per agenda.
TYPED_TEST_P(AgendaConformance, ListingCostsNothingOfTheDocuments) {
  constexpr int kAgendas = 20;
  constexpr int kValues = 50'000;  // objects of one value each: 100,000 JSON values
  NewAgenda request = new_agenda("big");
  Json bulk = Json::array();
  for (int i = 0; i < kValues; ++i) bulk.push_back(Json{{"k", i}});
  request.agenda.document["operations"][0]["payload"]["bulk"] = bulk;
  request.progress.document["operations"] = Json::array({{{"resultPayload", std::move(bulk)}}});
  for (int i = 0; i < kAgendas; ++i) {
    request.agenda.id = "big-" + std::to_string(i);
    request.progress.agenda_id = request.agenda.id;
    insert(this->store(), request);
  }
  request = {};

  AgendaQuery query;
  query.limit = kMaxPageLimit;
  std::size_t listed = 0;
  const auto growth = peak_memory_growth([&] {
    auto page = this->store().list_agendas(query);
    ASSERT_TRUE(ok(page));
    listed = page->items.size();
  });
  EXPECT_EQ(listed, static_cast<std::size_t>(kAgendas));
  if (!growth) GTEST_SKIP() << "the process's peak memory cannot be measured here";
  EXPECT_LT(*growth, std::size_t{16} << 20)
      << "listing " << kAgendas << " agendas raised the peak resident memory by " << *growth
      << " bytes";
}

TYPED_TEST_P(AgendaConformance, ListRejectsCursorsItDidNotIssue) {
  insert(this->store(), new_agenda("x"));
  for (const char* cursor : {"garbage", "42", "a:", "a:-1", "a:12x", "d:x"}) {
    AgendaQuery query;
    query.cursor = cursor;
    EXPECT_TRUE(fails_with(this->store().list_agendas(query), ErrorCode::kInvalidArgument))
        << cursor;
  }
}

TYPED_TEST_P(AgendaConformance, ListClampsTheLimit) {
  for (int i = 0; i < 3; ++i) insert(this->store(), new_agenda("c" + std::to_string(i)));
  AgendaQuery query;
  query.limit = 0;
  auto page = this->store().list_agendas(query);
  ASSERT_TRUE(ok(page));
  EXPECT_EQ(page->items.size(), 1u);
  EXPECT_TRUE(page->more);
  query.limit = 1'000'000;
  page = this->store().list_agendas(query);
  ASSERT_TRUE(ok(page));
  EXPECT_EQ(page->items.size(), 3u);
}

TYPED_TEST_P(AgendaConformance, DeleteRemovesProgressLeaseAndIdempotencyKey) {
  const std::int64_t first = insert(this->store(), new_agenda("gone", "acme", "key"));
  insert(this->store(), new_agenda("kept", "acme"));
  LeaseAcquisition lease{"gone", "puller-1", 0, at(0), at(1000), std::nullopt};
  ASSERT_TRUE(ok(this->store().acquire_lease(lease)));

  ASSERT_TRUE(ok(this->store().delete_agenda("gone")));
  EXPECT_TRUE(fails_with(this->store().get_agenda("gone"), ErrorCode::kNotFound));
  EXPECT_TRUE(fails_with(this->store().get_progress("gone"), ErrorCode::kNotFound));
  EXPECT_TRUE(fails_with(this->store().get_lease("gone"), ErrorCode::kNotFound));
  EXPECT_TRUE(fails_with(this->store().delete_agenda("gone"), ErrorCode::kNotFound));
  auto expired = this->store().list_expired_leases(at(5000), 100);
  ASSERT_TRUE(ok(expired));
  EXPECT_TRUE(expired->empty());
  auto waiting = this->store().list_waiting_agendas();
  ASSERT_TRUE(ok(waiting));
  ASSERT_EQ(waiting->size(), 1u);
  EXPECT_EQ(waiting->front().id, "kept");

  // The key is free again, and the id can be reused; sequences never go back.
  auto again = this->store().insert_agenda(new_agenda("gone", "acme", "key"));
  ASSERT_TRUE(ok(again));
  EXPECT_FALSE(again->replayed);
  EXPECT_GT(again->sequence, first);
  auto lease_after = this->store().get_lease("gone");
  ASSERT_TRUE(ok(lease_after));
  EXPECT_EQ(lease_after->epoch, 0u);
  EXPECT_TRUE(lease_after->holder.empty());
}

TYPED_TEST_P(AgendaConformance, WaitingSetListsWaitingAgendasInSequenceOrder) {
  auto add = [&](const std::string& id, const std::string& customer, const std::string& insight,
                 int priority, ProcessingState state) {
    NewAgenda request = new_agenda(id, customer);
    request.agenda.insight_id = insight;
    request.agenda.priority = priority;
    request.agenda.added_time = at(priority * 10);
    request.progress = progress_of(id, state, "x");
    return insert(this->store(), request);
  };
  const std::int64_t w1 = add("w1", "acme", "i1", 5, ProcessingState::kWaiting);
  add("e1", "acme", "i1", 1, ProcessingState::kExecuting);
  const std::int64_t w2 = add("w2", "globex", "i2", 9, ProcessingState::kWaiting);
  add("c1", "globex", "i2", 1, ProcessingState::kComplete);
  ASSERT_TRUE(ok(this->store().acquire_lease({"w2", "puller", 0, at(0), at(100), std::nullopt})));

  auto waiting = this->store().list_waiting_agendas();
  ASSERT_TRUE(ok(waiting));
  ASSERT_EQ(waiting->size(), 2u);
  const WaitingAgenda& first = (*waiting)[0];
  EXPECT_EQ(first.id, "w1");
  EXPECT_EQ(first.customer_id, "acme");
  EXPECT_EQ(first.insight_id, "i1");
  EXPECT_EQ(first.sequence, w1);
  EXPECT_EQ(first.priority, 5);
  EXPECT_EQ(first.added_time, at(50));
  EXPECT_FALSE(first.leased);
  EXPECT_EQ(first.state_message, "x");
  const WaitingAgenda& second = (*waiting)[1];
  EXPECT_EQ(second.id, "w2");
  EXPECT_EQ(second.sequence, w2);
  EXPECT_EQ(second.priority, 9);
  EXPECT_TRUE(second.leased);
}

TYPED_TEST_P(AgendaConformance, UnfencedProgressUpdateReplacesEverything) {
  insert(this->store(), new_agenda("u"));
  ProgressRecord update = progress_of("u", ProcessingState::kComplete, "succeeded", 2, at(900));
  update.maximum_attempts = 7;
  update.percent_complete = 100;
  update.document["percentComplete"] = 100;
  ASSERT_TRUE(ok(this->store().update_progress(update, std::nullopt)));
  auto progress = this->store().get_progress("u");
  ASSERT_TRUE(ok(progress));
  EXPECT_EQ(progress->processing_state, ProcessingState::kComplete);
  EXPECT_EQ(progress->state_message, "succeeded");
  EXPECT_EQ(progress->attempts_completed, 2);
  EXPECT_EQ(progress->maximum_attempts, 7);
  EXPECT_EQ(progress->percent_complete, 100);
  EXPECT_EQ(progress->updated_time, at(900));
  EXPECT_EQ(progress->document, update.document);
}

TYPED_TEST_P(AgendaConformance, DataSurvivesReopening) {
  const std::int64_t sequence = insert(this->store(), new_agenda("durable", "acme", "k"));
  ASSERT_TRUE(ok(this->store().acquire_lease({"durable", "p", 0, at(0), at(50), std::nullopt})));
  this->reopen();
  auto agenda = this->store().get_agenda("durable");
  ASSERT_TRUE(ok(agenda));
  EXPECT_EQ(agenda->sequence, sequence);
  EXPECT_EQ(agenda->document, agenda_document("durable"));
  auto lease = this->store().get_lease("durable");
  ASSERT_TRUE(ok(lease));
  EXPECT_EQ(lease->epoch, 1u);
  auto replay = this->store().insert_agenda(new_agenda("again", "acme", "k"));
  ASSERT_TRUE(ok(replay));
  EXPECT_TRUE(replay->replayed);
  EXPECT_GT(insert(this->store(), new_agenda("next")), sequence);
}

TYPED_TEST_P(AgendaConformance, WaitingQuotaCountsOnlyAgendasWaitingForAPuller) {
  Store& store = this->store();
  auto limited = [](std::string id, std::string key = {}) {
    NewAgenda request = new_agenda(id, "acme", std::move(key));
    request.max_waiting = 2;
    return request;
  };
  ASSERT_TRUE(ok(store.insert_agenda(limited("a", "key-a"))));
  ASSERT_TRUE(ok(store.insert_agenda(limited("b"))));
  // Another customer's agendas and held ones do not count.
  ASSERT_TRUE(ok(store.insert_agenda(new_agenda("other", "globex"))));
  NewAgenda held = new_agenda("held");
  held.progress.state_message = kHeldStateMessage;
  ASSERT_TRUE(ok(store.insert_agenda(held)));
  auto refused = store.insert_agenda(limited("c"));
  ASSERT_TRUE(fails_with(refused, ErrorCode::kResourceExhausted));
  EXPECT_NE(refused.error().message.find("maxWaitingAgendas is 2"), std::string::npos)
      << refused.error().message;
  EXPECT_TRUE(fails_with(store.get_agenda("c"), ErrorCode::kNotFound));
  // A replay of an acknowledged submit is answered, full or not.
  auto replay = store.insert_agenda(limited("a-again", "key-a"));
  ASSERT_TRUE(ok(replay));
  EXPECT_TRUE(replay->replayed);
  // A leased agenda is with a puller: its place is free again.
  ASSERT_TRUE(ok(store.acquire_lease({"a", "puller", 0, at(0), at(60'000), std::nullopt})));
  EXPECT_TRUE(ok(store.insert_agenda(limited("c"))));
  EXPECT_TRUE(fails_with(store.insert_agenda(limited("d")), ErrorCode::kResourceExhausted));
}

REGISTER_TYPED_TEST_SUITE_P(
    AgendaConformance, InsertThenGetReturnsEveryField, DocumentsAndTimesRoundTrip,
    UnserializableDocumentIsRejectedAndNothingStored, SequencesIncreaseInInsertOrder,
    DuplicateIdIsConflictAndChangesNothing, IdempotencyKeyReplayReturnsTheFirstAgenda,
    InsertAppendsItsAuditRecordButNotOnAReplayOrAConflict, IdempotencyKeyIsScopedToTheCustomer,
    UnknownAgendaIsNotFound, ListPaginatesInSequenceOrderWithoutDuplicatesOrGaps,
    LastPageCursorTailsNewAgendas, ListFiltersByCustomerLinkAndState, ListReturnsEachAgendasSummary,
    ListingCostsNothingOfTheDocuments, ListRejectsCursorsItDidNotIssue, ListClampsTheLimit,
    DeleteRemovesProgressLeaseAndIdempotencyKey, WaitingSetListsWaitingAgendasInSequenceOrder,
    UnfencedProgressUpdateReplacesEverything, DataSurvivesReopening,
    WaitingQuotaCountsOnlyAgendasWaitingForAPuller);

}  // namespace pop::store::conformance
