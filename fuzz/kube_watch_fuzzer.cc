// Kubernetes API answers as the runner reads them: a Pod watch stream cut into chunks anywhere
// (kubernetes/watch_decoder.h), each event's Pod read for its state, names and labels
// (pod_status.h, object_fields.h, labels.h), and failed answers turned into errors
// (kube_status.h). Input: one byte that sets the chunk size, then the stream; the same bytes
// are also read as the body of a failed request.
//
// Beyond not crashing: label values made from what the API returned are valid label values,
// and DNS label parts fit their length and alphabet.
#include "fuzz_support.h"
#include "http_client/message.h"
#include "kubernetes/kube_status.h"
#include "kubernetes/labels.h"
#include "kubernetes/object_fields.h"
#include "kubernetes/pod_status.h"
#include "kubernetes/watch_decoder.h"

namespace {

using pop::kubernetes::WatchEvent;

void check_names(const std::string& text) {
  POP_FUZZ_CHECK(pop::kubernetes::is_valid_label_value(pop::kubernetes::label_value(text)));
  const std::string dns = pop::kubernetes::dns_label_part(text, pop::kubernetes::kMaxDnsLabelBytes);
  POP_FUZZ_CHECK(dns.size() <= pop::kubernetes::kMaxDnsLabelBytes);
  for (char c : dns) POP_FUZZ_CHECK((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-');
  POP_FUZZ_CHECK(dns.empty() || (dns.front() != '-' && dns.back() != '-'));
}

bool on_event(const WatchEvent& event) {
  const auto& pod = event.object;
  const pop::kubernetes::PodState state = pop::kubernetes::read_pod_state(pod, "handler");
  POP_FUZZ_CHECK(!state.ended || state.started);
  check_names(pop::kubernetes::metadata_text(pod, "name"));
  check_names(pop::kubernetes::metadata_entry(pod, "labels", pop::kubernetes::label::kAgendaId));
  (void)pop::kubernetes::metadata_text(pod, "resourceVersion");
  check_names(state.termination_message);
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t chunk = data[0] == 0 ? 1 : data[0];
  std::string_view stream = pop::fuzz::as_text(data + 1, size - 1);

  pop::kubernetes::WatchDecoder decoder(on_event);
  bool going_on = true;
  for (std::string_view rest = stream; going_on && !rest.empty();) {
    going_on = decoder.feed(rest.substr(0, chunk));
    rest.remove_prefix(std::min(chunk, rest.size()));
  }
  if (going_on) decoder.finish();
  if (const auto& failure = decoder.failure()) {
    (void)pop::kubernetes::is_expired(*failure);
    (void)pop::kubernetes::is_already_exists(*failure);
  }

  pop::http_client::Response response;
  response.status = 400 + data[0] % 200;
  response.body = std::string(stream);
  response.url = "https://kubernetes/api/v1/namespaces/pop/pods";
  const pop::Error error = pop::kubernetes::error_from_response(response);
  POP_FUZZ_CHECK(pop::fuzz::is_utf8(error.message));
  return 0;
}
