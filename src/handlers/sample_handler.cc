#include "handlers/sample_handler.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "handlers/progress_reporter.h"
#include "util/result.h"

namespace pop {
using Json = nlohmann::json;

namespace {

using std::chrono::milliseconds;

// Progress is reported about ten times per sleeping action, and at least this often.
constexpr int kReportsPerAction = 10;
constexpr milliseconds kMaxReportInterval{200};

struct Action {
  enum class Kind { kLog, kException };
  Kind kind;
  std::string message;
  milliseconds sleep{0};
};

struct SamplePayload {
  std::vector<Action> actions;
  std::optional<Json> result;
  int exit_code = 0;
};

Result<std::string> read_payload_text() {
  if (const char* payload = std::getenv("POP_PAYLOAD")) return std::string(payload);
  const char* path = std::getenv("POP_PAYLOAD_FILE");
  if (path == nullptr) {
    return fail(ErrorCode::kInvalidArgument, "neither POP_PAYLOAD nor POP_PAYLOAD_FILE is set");
  }
  std::ifstream file(path, std::ios::binary);
  std::ostringstream text;
  text << file.rdbuf();
  if (!file) return fail(ErrorCode::kInvalidArgument, std::string("cannot read ") + path);
  return text.str();
}

// Accepts a numeric string as well as a number: "paramsMap" reads as a map of strings.
Result<milliseconds> parse_sleep(const Json& value, const std::string& where) {
  long long ms = -1;
  if (value.is_number_integer()) {
    ms = value.get<long long>();
  } else if (value.is_string()) {
    const std::string text = value.get<std::string>();
    char* end = nullptr;
    ms = std::strtoll(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0') ms = -1;
  }
  if (ms < 0) return fail(ErrorCode::kInvalidArgument, where + " must be a non-negative integer");
  return milliseconds(ms);
}

Result<Action> parse_action(const Json& entry, const std::string& where) {
  if (!entry.is_object()) return fail(ErrorCode::kInvalidArgument, where + " must be an object");
  const auto name = entry.find("action");
  if (name == entry.end() || !name->is_string()) {
    return fail(ErrorCode::kInvalidArgument, where + ".action must be a string");
  }
  Json params = entry.value("paramsMap", Json::object());
  if (!params.is_object()) {
    return fail(ErrorCode::kInvalidArgument, where + ".paramsMap must be an object");
  }
  const auto text_param = [&](const char* key, const char* fallback) -> Result<std::string> {
    const Json& value = params.contains(key) ? params[key] : Json(fallback);
    if (!value.is_string()) {
      return fail(ErrorCode::kInvalidArgument, where + ".paramsMap." + key + " must be a string");
    }
    return value.get<std::string>();
  };

  Action action;
  if (*name == "log") {
    action.kind = Action::Kind::kLog;
    auto message = text_param("logMessage", "");
    if (!message) return fail(std::move(message).error());
    action.message = std::move(*message);
    if (params.contains("sleepMilliseconds")) {
      auto sleep = parse_sleep(params["sleepMilliseconds"], where + ".paramsMap.sleepMilliseconds");
      if (!sleep) return fail(std::move(sleep).error());
      action.sleep = *sleep;
    }
  } else if (*name == "exception") {
    action.kind = Action::Kind::kException;
    auto message = text_param("message", "sample handler exception");
    if (!message) return fail(std::move(message).error());
    action.message = std::move(*message);
  } else {
    return fail(ErrorCode::kInvalidArgument, where + ".action \"" + name->get<std::string>() +
                                                 "\" is not a known action (log, exception)");
  }
  return action;
}

// Validates the whole payload before acting, so that a bad one has no effects.
Result<SamplePayload> parse_payload(const std::string& text) {
  Json json = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return fail(ErrorCode::kInvalidArgument, "payload is not valid JSON");
  if (json.is_null()) json = Json::object();  // an operation without a payload
  if (!json.is_object()) return fail(ErrorCode::kInvalidArgument, "payload must be an object");

  SamplePayload payload;
  const Json actions = json.value("actions", Json::array());
  if (!actions.is_array()) return fail(ErrorCode::kInvalidArgument, "actions must be an array");
  for (std::size_t i = 0; i < actions.size(); ++i) {
    auto action = parse_action(actions[i], "actions[" + std::to_string(i) + "]");
    if (!action) return fail(std::move(action).error());
    payload.actions.push_back(std::move(*action));
  }
  if (json.contains("resultPayload")) payload.result = json["resultPayload"];
  if (json.contains("exitCode")) {
    const Json& code = json["exitCode"];
    if (!code.is_number_integer() || code.get<long long>() < 0 || code.get<long long>() > 255) {
      return fail(ErrorCode::kInvalidArgument, "exitCode must be an integer from 0 to 255");
    }
    payload.exit_code = code.get<int>();
  }
  return payload;
}

// Sleeps for the action, reporting overall progress; sleeps are measured from one start so
// that reporting does not stretch them.
void sleep_with_progress(const Action& action, milliseconds slept_before, milliseconds total,
                         const std::string& label, ProgressReporter& reporter) {
  const auto steps = std::max<milliseconds::rep>(
      kReportsPerAction,
      (action.sleep + kMaxReportInterval - milliseconds(1)) / kMaxReportInterval);
  const auto start = std::chrono::steady_clock::now();
  for (milliseconds::rep step = 1; step <= steps; ++step) {
    const milliseconds elapsed = action.sleep * step / steps;
    std::this_thread::sleep_until(start + elapsed);
    reporter.report(100.0 * static_cast<double>((slept_before + elapsed).count()) /
                        static_cast<double>(total.count()),
                    label);
  }
}

bool write_output(const Json& result) {
  const char* path = std::getenv("POP_OUTPUT_FILE");
  if (path == nullptr) return true;  // run by hand: nowhere to put it
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << result.dump();
  file.close();
  return static_cast<bool>(file);
}

}  // namespace

int run_sample_handler() {
  auto payload = read_payload_text().and_then(parse_payload);
  if (!payload) {
    std::fprintf(stderr, "sample handler: %s\n", payload.error().message.c_str());
    return 2;
  }

  milliseconds total{0};
  for (const auto& action : payload->actions) total += action.sleep;
  ProgressReporter reporter;
  milliseconds slept{0};
  const std::size_t count = payload->actions.size();
  for (std::size_t i = 0; i < count; ++i) {
    const Action& action = payload->actions[i];
    if (action.kind == Action::Kind::kException) {
      std::fprintf(stderr, "%s\n", action.message.c_str());
      return payload->exit_code != 0 ? payload->exit_code : 1;
    }
    std::printf("%s\n", action.message.c_str());
    std::fflush(stdout);
    if (action.sleep > milliseconds::zero()) {
      const std::string label = "action " + std::to_string(i + 1) + " of " + std::to_string(count) +
                                ": " + action.message;
      sleep_with_progress(action, slept, total, label, reporter);
      slept += action.sleep;
    }
  }

  if (payload->result && !write_output(*payload->result)) {
    std::fprintf(stderr, "sample handler: cannot write POP_OUTPUT_FILE\n");
    return 1;
  }
  reporter.report(100, "done");
  return payload->exit_code;
}

}  // namespace pop
