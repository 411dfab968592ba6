#include "service/events/event_journal.h"

#include <gtest/gtest.h>

namespace pop::service {
namespace {

AgendaEvent event_of(const std::string& agenda_id) {
  return {EventType::kSubmitted, {agenda_id, "cust", "pool", "insight"}, WallTime{}, {}};
}

TEST(EventJournalTest, ReadsAfterASequenceInOrderAndTellsAGapPastTheWindow) {
  EventJournal journal(3);
  for (const char* id : {"a", "b", "c", "d"}) journal.publish(event_of(id));
  EXPECT_EQ(journal.last_sequence(), 4u);
  auto recent = journal.read_after(2, 10);
  EXPECT_FALSE(recent.gap);
  ASSERT_EQ(recent.entries.size(), 2u);
  EXPECT_EQ(recent.entries[0]->sequence, 3u);
  EXPECT_EQ(recent.entries[0]->event.agenda.agenda_id, "c");
  EXPECT_NE(recent.entries[1]->json.find("\"agendaId\":\"d\""), std::string::npos);
  // Event 1 is gone: a reader after 0 misses it.
  auto old = journal.read_after(0, 10);
  EXPECT_TRUE(old.gap);
  EXPECT_EQ(old.entries.front()->sequence, 2u);
  EXPECT_EQ(journal.read_after(2, 1).entries.size(), 1u);
  EXPECT_TRUE(journal.read_after(4, 10).entries.empty());
}

TEST(EventJournalTest, ResumesOnlyPositionsOfItsOwnWindow) {
  EventJournal journal(2);
  for (const char* id : {"a", "b", "c"}) journal.publish(event_of(id));
  EXPECT_EQ(journal.resume_after({journal.id(), 3}), 3u);
  EXPECT_EQ(journal.resume_after({journal.id(), 1}), 1u);  // 2 and 3 are kept
  EXPECT_FALSE(journal.resume_after({journal.id(), 0}));   // 1 is gone
  EXPECT_FALSE(journal.resume_after({journal.id(), 9}));   // not reached
  EXPECT_FALSE(journal.resume_after({EventJournal(2).id(), 3}));
}

TEST(EventJournalTest, PositionsReadBackAndBadOnesAreNamed) {
  const EventPosition position{"0f3a-41", 17};
  auto parsed = parse_event_position(format_event_position(position));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->journal_id, "0f3a-41");
  EXPECT_EQ(parsed->sequence, 17u);
  for (const char* bad : {"", "17", "-17", "j-", "j-1x", "j-99999999999999999999999"}) {
    auto refused = parse_event_position(bad);
    ASSERT_FALSE(refused.has_value()) << bad;
    EXPECT_NE(refused.error().message.find("Last-Event-ID"), std::string::npos);
  }
}

TEST(EventJournalTest, TellsEachListenerOfEachPublishUntilRemoved) {
  EventJournal journal(4);
  int first = 0;
  int second = 0;
  const std::uint64_t id = journal.add_listener([&] { ++first; });
  journal.add_listener([&] { ++second; });
  journal.publish(event_of("a"));
  journal.publish(event_of("b"));
  journal.remove_listener(id);
  journal.publish(event_of("c"));
  EXPECT_EQ(first, 2);
  EXPECT_EQ(second, 3);
}

}  // namespace
}  // namespace pop::service
