#include "http_client/client.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <string>
#include <utility>

#include "http_client/cancel_state.h"
#include "http_client/curl_handles.h"
#include "http_client/transfer.h"
#include "util/close_on_exec.h"
#include "util/random_id.h"

namespace pop::http_client {
namespace {

using std::chrono::milliseconds;

// The URL's scheme and host are checked by libcurl's own parser, so that what is accepted
// here is exactly what libcurl will later connect to.
Result<void> check_base_url(const std::string& url) {
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> parsed(curl_url(), &curl_url_cleanup);
  if (!parsed) return fail(ErrorCode::kInternal, "out of memory parsing a URL");
  if (const CURLUcode code = curl_url_set(parsed.get(), CURLUPART_URL, url.c_str(), 0)) {
    return fail(ErrorCode::kInvalidArgument,
                "invalid server URL \"" + url + "\": " + curl_url_strerror(code));
  }
  auto part = [&](CURLUPart which) {
    char* text = nullptr;
    std::string value;
    if (curl_url_get(parsed.get(), which, &text, 0) == CURLUE_OK && text != nullptr) value = text;
    curl_free(text);
    return value;
  };
  const std::string scheme = part(CURLUPART_SCHEME);
  if (scheme != "http" && scheme != "https") {
    return fail(ErrorCode::kInvalidArgument,
                "invalid server URL \"" + url + "\": the scheme must be http or https");
  }
  if (!part(CURLUPART_QUERY).empty() || !part(CURLUPART_FRAGMENT).empty() ||
      !part(CURLUPART_USER).empty()) {
    return fail(
        ErrorCode::kInvalidArgument,
        "invalid server URL \"" + url + "\": it must not carry a query, a fragment or credentials");
  }
  return {};
}

Result<void> check_readable(const std::string& path, std::string_view what) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error) || ::access(path.c_str(), R_OK) != 0) {
    return fail(ErrorCode::kInvalidArgument,
                std::string(what) + " " + path + " does not exist or cannot be read");
  }
  return {};
}

// At most one of a file and in-memory PEM; a file that is given must be readable.
Result<void> check_pem_source(const std::string& file, const std::string& pem,
                              std::string_view what) {
  if (!file.empty() && !pem.empty()) {
    return fail(ErrorCode::kInvalidArgument,
                std::string(what) + " is given both as a file and as PEM data");
  }
  if (!file.empty()) return check_readable(file, std::string(what) + " file");
  return {};
}

Result<void> check_tls_material(const ClientOptions& options) {
  if (auto checked = check_pem_source(options.ca_file, options.ca_pem, "CA"); !checked) {
    return checked;
  }
  if (auto checked = check_pem_source(options.client_certificate_file,
                                      options.client_certificate_pem, "client certificate");
      !checked) {
    return checked;
  }
  if (auto checked =
          check_pem_source(options.client_key_file, options.client_key_pem, "client key");
      !checked) {
    return checked;
  }
  const bool has_certificate =
      !options.client_certificate_file.empty() || !options.client_certificate_pem.empty();
  const bool has_key = !options.client_key_file.empty() || !options.client_key_pem.empty();
  if (has_certificate != has_key) {
    return fail(ErrorCode::kInvalidArgument, has_certificate
                                                 ? "a client certificate needs its private key"
                                                 : "a client key needs its certificate");
  }
  return {};
}

Result<void> check_options(const ClientOptions& options) {
  if (auto checked = check_base_url(options.base_url); !checked) return checked;
  if (auto checked = check_tls_material(options); !checked) return checked;
  if (!is_valid_header_value(options.bearer_token) ||
      options.bearer_token.find_first_of(" \t") != std::string::npos) {
    return fail(ErrorCode::kInvalidArgument, "the bearer token contains a space or a line break");
  }
  if (!is_valid_header_value(options.user_agent)) {
    return fail(ErrorCode::kInvalidArgument, "the user agent contains a line break");
  }
  if (options.connect_timeout.count() < 0 || options.request_timeout.count() < 0) {
    return fail(ErrorCode::kInvalidArgument, "timeouts must not be negative");
  }
  return {};
}

// Rejecting bad bytes here keeps them from being sent, or from smuggling a second header.
Result<void> check_request(const Request& request) {
  if (!is_valid_header_name(request.method)) {
    return fail(ErrorCode::kInvalidArgument, "invalid HTTP method \"" + request.method + "\"");
  }
  const bool visible_ascii = std::all_of(request.target.begin(), request.target.end(),
                                         [](char c) { return c > ' ' && c < 0x7f; });
  if (!request.target.starts_with('/') || !visible_ascii) {
    return fail(ErrorCode::kInvalidArgument,
                "invalid request target \"" + request.target +
                    "\": it must start with '/' and be percent-encoded");
  }
  for (const auto& [name, value] : request.headers) {
    if (!is_valid_header_name(name) || !is_valid_header_value(value)) {
      return fail(ErrorCode::kInvalidArgument, "invalid header \"" + name + "\"");
    }
  }
  if (request.timeout && request.timeout->count() < 0) {
    return fail(ErrorCode::kInvalidArgument, "the request timeout must not be negative");
  }
  return {};
}

Result<Response> to_result(detail::TransferResult&& result) {
  if (result) return std::move(*result);
  return fail(std::move(result.error().error));
}

}  // namespace

struct Client::Impl {
  ClientOptions options;
  detail::EasyHandle easy;
  detail::MultiHandle multi;
  std::shared_ptr<detail::CancelState> cancel = std::make_shared<detail::CancelState>();
  std::minstd_rand random{static_cast<std::minstd_rand::result_type>(random_seed())};

  // Runs before the members are destroyed: no canceller may wake a freed multi handle.
  ~Impl() { cancel->set_waker(nullptr); }

  detail::TransferResult perform(const Request& request, const ChunkHandler* on_chunk,
                                 milliseconds idle_timeout) {
    const detail::TransferSetup setup{easy.get(), multi.get(), &options, cancel.get()};
    return detail::perform_transfer(setup, request, on_chunk, idle_timeout);
  }
};

Result<Client> Client::create(ClientOptions options) {
  if (auto initialized = detail::ensure_curl_initialized(); !initialized) {
    return fail(std::move(initialized).error());
  }
  if (options.base_url.empty() && !options.unix_socket.empty()) {
    options.base_url = "http://localhost";
  }
  if (auto checked = check_options(options); !checked) return fail(std::move(checked).error());
  // Targets start with '/', so a trailing one here would double it.
  while (options.base_url.ends_with('/')) options.base_url.pop_back();

  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->easy.reset(curl_easy_init());
  impl->multi.reset(curl_multi_init());
  // libcurl 7.88 opens the multi handle's wake-up socket pair without SOCK_CLOEXEC.
  make_descriptors_close_on_exec();
  if (!impl->easy || !impl->multi) {
    return fail(ErrorCode::kInternal, "cannot create a libcurl handle (out of memory?)");
  }
  CURLM* multi = impl->multi.get();
  impl->cancel->set_waker([multi] { curl_multi_wakeup(multi); });
  return Client(std::move(impl));
}

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;
Client::~Client() = default;

Result<Response> Client::send(const Request& request) {
  if (auto checked = check_request(request); !checked) return fail(std::move(checked).error());
  return to_result(impl_->perform(request, nullptr, milliseconds(0)));
}

Result<Response> Client::send(const Request& request, const RetryPolicy& policy) {
  if (!is_repeatable(request.method, request.headers)) return send(request);
  if (auto checked = check_request(request); !checked) return fail(std::move(checked).error());
  const auto start = std::chrono::steady_clock::now();
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (int attempts = 1;; ++attempts) {
    detail::TransferResult result = impl_->perform(request, nullptr, milliseconds(0));
    AttemptOutcome outcome;
    if (result) {
      outcome.status = result->status;
      outcome.retry_after =
          parse_retry_after(result->header("Retry-After"), std::chrono::system_clock::now());
    } else if (result.error().kind == detail::FailureKind::kConnect) {
      outcome.connect_failed = true;
    } else {
      return to_result(std::move(result));
    }
    const auto elapsed =
        std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start);
    const auto delay = next_retry_delay(policy, outcome, attempts, elapsed, unit(impl_->random));
    if (!delay) {
      if (!result && attempts > 1) {
        result.error().error.details.push_back("gave up after " + std::to_string(attempts) +
                                               " attempts");
      }
      return to_result(std::move(result));
    }
    // A cancel ends the wait early; the next attempt then fails at once as cancelled.
    impl_->cancel->wait_for(*delay);
  }
}

Result<Response> Client::request(std::string_view method, std::string_view target,
                                 std::string_view body, const Headers& headers) {
  return send(Request{std::string(method), std::string(target), std::string(body), headers, {}});
}

Result<Response> Client::stream(const Request& request, const ChunkHandler& on_chunk,
                                StreamOptions options) {
  if (auto checked = check_request(request); !checked) return fail(std::move(checked).error());
  if (options.idle_timeout.count() < 0) {
    return fail(ErrorCode::kInvalidArgument, "the idle timeout must not be negative");
  }
  return to_result(impl_->perform(request, &on_chunk, options.idle_timeout));
}

void Client::cancel() { impl_->cancel->cancel(); }

Canceller Client::canceller() const { return Canceller(impl_->cancel); }

const ClientOptions& Client::options() const { return impl_->options; }

}  // namespace pop::http_client
