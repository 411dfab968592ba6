// The fixture and helpers shared by the store conformance suites (see store_conformance.h).
//
// A suite is instantiated with a Harness type that owns one empty database for one test:
//
//   struct MyHarness {
//     MyHarness();  // creates the empty database (a temporary directory, a fresh schema...)
//     // Opens a Store on that database. Called once per test, and again after the previous
//     // Store was destroyed when a test checks that data survives reopening.
//     pop::Result<std::unique_ptr<pop::store::Store>> open();
//   };
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "store/store.h"

namespace pop::store::conformance {

template <typename Harness>
class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override { open(); }

  void open() {
    auto opened = harness_.open();
    ASSERT_TRUE(opened.has_value()) << opened.error().message;
    store_ = std::move(*opened);
  }

  // Closes the store and opens the same database again.
  void reopen() {
    store_.reset();
    open();
  }

  Store& store() { return *store_; }

  Harness harness_;
  std::unique_ptr<Store> store_;
};

// Test time: a fixed instant plus `millis`, so tests never depend on the clock.
inline WallTime at(std::int64_t millis) {
  return WallTime{std::chrono::milliseconds(1'795'852'800'000 + millis)};
}

template <typename T>
::testing::AssertionResult ok(const Result<T>& result) {
  if (result.has_value()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << error_code_name(result.error().code) << ": " << result.error().message;
}

template <typename T>
::testing::AssertionResult fails_with(const Result<T>& result, ErrorCode expected) {
  if (result.has_value()) {
    return ::testing::AssertionFailure() << "succeeded; expected " << error_code_name(expected);
  }
  if (result.error().code != expected) {
    return ::testing::AssertionFailure()
           << "failed with " << error_code_name(result.error().code) << " ("
           << result.error().message << "); expected " << error_code_name(expected);
  }
  return ::testing::AssertionSuccess();
}

// How far this process's resident memory rose above its level before `work` while `work` ran,
// in bytes: the peak (VmHWM) after resetting it through /proc/self/clear_refs. nullopt where
// the peak cannot be reset or read (no procfs): the caller skips its check.
inline std::optional<std::size_t> peak_memory_growth(const std::function<void()>& work) {
  auto status_kib = [](const std::string& field) -> std::optional<std::size_t> {
    std::ifstream status("/proc/self/status");
    std::string key;
    while (status >> key) {
      if (key == field + ":") {
        std::size_t kib = 0;
        if (status >> kib) return kib;
        return std::nullopt;
      }
      status.ignore(1 << 16, '\n');
    }
    return std::nullopt;
  };
  std::ofstream("/proc/self/clear_refs") << "5";  // 5: reset the peak to the current RSS
  const auto before = status_kib("VmRSS");
  const auto reset = status_kib("VmHWM");
  // Not reset (no procfs, or a kernel without clear_refs): the peak would be an old one.
  if (!before || !reset || *reset > *before + 1024) return std::nullopt;
  work();
  const auto peak = status_kib("VmHWM");
  if (!peak) return std::nullopt;
  return (*peak > *before ? *peak - *before : 0) * 1024;
}

// A realistic agenda document: `operations` operations of the sample handler with payloads
// and references, about 1 KiB for the default of four.
inline Json agenda_document(const std::string& id, int operations = 4) {
  Json document = {{"id", id},
                   {"title", "encode and publish " + id},
                   {"cid", "c0ffee-" + id},
                   {"params", {{"maximumAttempts", 3}, {"externalId", "ext-" + id}}},
                   {"operations", Json::array()}};
  for (int i = 0; i < operations; ++i) {
    const std::string name = "step" + std::to_string(i);
    Json operation = {
        {"name", name},
        {"type", "sample"},
        {"payload",
         {{"actions",
           {{{"action", "log"}, {"message", "starting " + name + " of " + id}},
            {{"action", "sleep"}, {"milliseconds", 100 * i}}}},
          {"resultPayload", {{"output", "s3://bucket/" + id + "/" + name + ".mp4"}}}}},
        {"params", {{"timeoutSeconds", 600}, {"retries", 2}}}};
    if (i > 0) operation["payload"]["input"] = "@<step" + std::to_string(i - 1) + ".out::output>";
    document["operations"].push_back(std::move(operation));
  }
  return document;
}

inline ProgressRecord progress_of(const std::string& agenda_id,
                                  ProcessingState state = ProcessingState::kWaiting,
                                  std::string message = "pending", int attempts = 0,
                                  WallTime updated = at(0)) {
  ProgressRecord progress;
  progress.agenda_id = agenda_id;
  progress.processing_state = state;
  progress.state_message = message;
  progress.attempts_completed = attempts;
  progress.maximum_attempts = 3;
  progress.updated_time = updated;
  progress.document = {{"agendaId", agenda_id},
                       {"processingState", std::string(processing_state_name(state))},
                       {"processingStateMessage", message},
                       {"attemptsCompleted", attempts},
                       {"maximumAttempts", 3}};
  return progress;
}

inline NewAgenda new_agenda(const std::string& id, const std::string& customer = "acme",
                            std::string idempotency_key = {}) {
  NewAgenda agenda;
  agenda.agenda.id = id;
  agenda.agenda.customer_id = customer;
  agenda.agenda.resource_pool_id = "pool-1";
  agenda.agenda.insight_id = "insight-1";
  agenda.agenda.title = "encode and publish " + id;  // as in agenda_document()
  agenda.agenda.priority = 0;
  agenda.agenda.added_time = at(0);
  agenda.agenda.updated_time = at(0);
  agenda.agenda.document = agenda_document(id);
  agenda.progress = progress_of(id);
  agenda.idempotency_key = std::move(idempotency_key);
  return agenda;
}

// Inserts or records a test failure; returns the sequence (-1 on failure).
inline std::int64_t insert(Store& store, const NewAgenda& agenda) {
  auto inserted = store.insert_agenda(agenda);
  if (!inserted) {
    ADD_FAILURE() << "insert " << agenda.agenda.id << ": " << inserted.error().message;
    return -1;
  }
  return inserted->sequence;
}

}  // namespace pop::store::conformance
