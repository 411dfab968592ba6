// Docker Engine answers as the container runner reads them: the framed log stream
// (docker/log_frames.h), cut into chunks anywhere, and the JSON answers of create, wait,
// list, inspect, pull and failed calls (docker/engine_answers.h). Input: one byte that sets the
// chunk size and the HTTP status, then the bytes the engine sent.
//
// Beyond not crashing: the log's payload does not depend on how the stream was cut, and is
// never longer than the stream.
#include "docker/engine_answers.h"
#include "docker/log_frames.h"
#include "fuzz_support.h"

namespace {

std::string decode_logs(std::string_view stream, std::size_t chunk) {
  std::string payload;
  pop::docker::LogFrameDecoder decoder([&payload](std::string_view bytes) { payload += bytes; });
  for (std::string_view rest = stream; !rest.empty();) {
    decoder.feed(rest.substr(0, chunk));
    rest.remove_prefix(std::min(chunk, rest.size()));
  }
  return payload;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t chunk = data[0] == 0 ? 1 : data[0];
  const std::string_view stream = pop::fuzz::as_text(data + 1, size - 1);

  const std::string whole = decode_logs(stream, stream.size() + 1);
  POP_FUZZ_CHECK(whole.size() <= stream.size());
  POP_FUZZ_CHECK(decode_logs(stream, chunk) == whole);

  pop::http_client::Response response;
  response.status = 200 + data[0] % 400;
  response.body = std::string(stream);
  (void)pop::docker::engine_error(response, "fuzz");
  (void)pop::docker::pull_outcome(response.body, "busybox");
  const auto answer = pop::docker::parse_answer(response, "fuzz");
  if (!answer) return 0;
  (void)pop::docker::created_container_id(*answer, "create container");
  (void)pop::docker::listed_container_ids(*answer);
  (void)pop::docker::container_running(*answer);
  const auto exit = pop::docker::container_exit(*answer);
  // An exit status is what the engine said, never a wrapped-around number.
  if (exit) POP_FUZZ_CHECK(pop::docker::Json(exit->status_code) == (*answer)["StatusCode"]);
  return 0;
}
