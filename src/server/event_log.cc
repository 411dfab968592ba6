#include "server/event_log.h"

#include <string>

namespace pop::server {
namespace {

// Read at once at most: a burst is logged in pieces, each under the journal's lock briefly.
constexpr std::size_t kBatch = 256;

LogLevel level_of(service::EventType type) {
  return type == service::EventType::kOperation || type == service::EventType::kProgress
             ? LogLevel::kDebug
             : LogLevel::kInfo;
}

}  // namespace

EventLog::EventLog(service::EventJournal& journal, Logger& logger)
    : journal_(journal), logger_(logger), position_(journal.last_sequence()) {
  listener_ = journal_.add_listener([this] {
    // Under the journal's lock: only flag and wake.
    std::lock_guard lock(mutex_);
    published_ = true;
    changed_.notify_one();
  });
  try {
    thread_ = std::thread([this] { run(); });
  } catch (...) {
    // No thread (out of threads): the journal must not call into a log that never was.
    journal_.remove_listener(listener_);
    throw;
  }
}

EventLog::~EventLog() {
  journal_.remove_listener(listener_);
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_one();
  thread_.join();
}

void EventLog::run() {
  while (true) {
    bool stopping = false;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [this] { return published_ || stopping_; });
      published_ = false;
      stopping = stopping_;
    }
    while (log_next()) {
    }
    if (stopping) return;
  }
}

bool EventLog::log_next() {
  const service::EventJournal::Batch batch = journal_.read_after(position_, kBatch);
  if (batch.entries.empty()) return false;
  if (batch.gap) {
    logger_.warning("events were published faster than they could be logged; some are not",
                    {{"missed", std::to_string(batch.entries.front()->sequence - position_ - 1)}});
  }
  for (const auto& entry : batch.entries) {
    const service::AgendaEvent& event = entry->event;
    // Most events are operation changes at debug: dropped ones cost no formatting.
    if (!logger_.enabled(level_of(event.type))) continue;
    logger_.log(level_of(event.type), service::event_type_name(event.type),
                {{"agenda", event.agenda.agenda_id},
                 {"customer", event.agenda.customer_id},
                 {"pool", event.agenda.resource_pool_id},
                 {"insight", event.agenda.insight_id},
                 {"details", event.data.empty() ? std::string() : event.data.dump()}});
  }
  position_ = batch.entries.back()->sequence;
  return true;
}

}  // namespace pop::server
