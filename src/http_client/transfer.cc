#include "http_client/transfer.h"

#include <sys/socket.h>

#include <algorithm>
#include <exception>
#include <string>

#include "http_client/curl_handles.h"

namespace pop::http_client::detail {
namespace {

using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// The longest wait in curl_multi_poll. Canceller wakes the poll at once, so this only bounds
// the damage should a wake-up ever be lost; tests rely on it being well above their
// latency bounds so that a missing wake-up is noticed.
constexpr milliseconds kSafetyPoll(5000);

// A non-2xx body on a stream is read only for its error message.
constexpr std::size_t kMaxStreamErrorBody = std::size_t{1} << 20;

std::string_view trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n";
  const auto first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(kSpace) - first + 1);
}

bool is_post_like(std::string_view method) {
  return method == "POST" || method == "PUT" || method == "PATCH";
}

// Failures where the request cannot have reached the server, whatever the timings say.
bool is_connect_failure(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
      return true;
    default:
      return false;
  }
}

class Transfer {
 public:
  Transfer(const TransferSetup& setup, const Request& request, const ChunkHandler* on_chunk)
      : easy_(setup.easy),
        multi_(setup.multi),
        options_(*setup.options),
        cancel_(*setup.cancel),
        request_(request),
        on_chunk_(on_chunk),
        url_(options_.base_url + request.target) {}

  TransferResult run(milliseconds idle_timeout) {
    if (cancel_.cancelled()) return cancelled();
    if (const CURLcode code = configure(); code != CURLE_OK) {
      return failure(FailureKind::kLocal, ErrorCode::kInternal,
                     "cannot prepare " + describe() + ": " + curl_easy_strerror(code));
    }
    if (const CURLMcode code = curl_multi_add_handle(multi_, easy_); code != CURLM_OK) {
      return failure(FailureKind::kLocal, ErrorCode::kInternal,
                     "cannot start " + describe() + ": " + curl_multi_strerror(code));
    }
    TransferResult result = drive(idle_timeout);
    // Removing a handle mid-exchange closes its connection rather than returning it to the
    // pool, so an abandoned response can never be read as the answer to the next request.
    curl_multi_remove_handle(multi_, easy_);
    return result;
  }

 private:
  template <typename T>
  void set(CURLoption option, T value, CURLcode& first_error) {
    if (first_error == CURLE_OK) first_error = curl_easy_setopt(easy_, option, value);
  }

  CURLcode configure() {
    // Reset keeps the handle's live connections and caches, which is all that is reused.
    curl_easy_reset(easy_);
    error_buffer_[0] = '\0';
    CURLcode error = CURLE_OK;
    set(CURLOPT_URL, url_.c_str(), error);
    set(CURLOPT_ERRORBUFFER, error_buffer_, error);
    // Signals would be delivered to whichever thread, and are not needed with threaded DNS.
    set(CURLOPT_NOSIGNAL, 1L, error);
    set(CURLOPT_OPENSOCKETFUNCTION, &Transfer::open_socket, error);
    set(CURLOPT_PROTOCOLS_STR, "http,https", error);
    set(CURLOPT_TCP_KEEPALIVE, 1L, error);  // long polls must notice a dead peer
    set(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()), error);
    const milliseconds timeout = request_.timeout.value_or(
        on_chunk_ != nullptr ? milliseconds(0) : options_.request_timeout);
    set(CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()), error);
    set(CURLOPT_USERAGENT, options_.user_agent.c_str(), error);
    if (!options_.unix_socket.empty()) {
      set(CURLOPT_UNIX_SOCKET_PATH, options_.unix_socket.c_str(), error);
      set(CURLOPT_PROXY, "", error);
    } else if (options_.proxy) {
      set(CURLOPT_PROXY, options_.proxy->c_str(), error);
    }
    if (!options_.ca_file.empty()) set(CURLOPT_CAINFO, options_.ca_file.c_str(), error);
    set_blob(CURLOPT_CAINFO_BLOB, options_.ca_pem, error);
    if (!options_.client_certificate_file.empty()) {
      set(CURLOPT_SSLCERT, options_.client_certificate_file.c_str(), error);
    }
    set_blob(CURLOPT_SSLCERT_BLOB, options_.client_certificate_pem, error);
    if (!options_.client_key_file.empty()) {
      set(CURLOPT_SSLKEY, options_.client_key_file.c_str(), error);
    }
    set_blob(CURLOPT_SSLKEY_BLOB, options_.client_key_pem, error);
    if (!options_.client_certificate_file.empty() || !options_.client_certificate_pem.empty()) {
      set(CURLOPT_SSLCERTTYPE, "PEM", error);
      set(CURLOPT_SSLKEYTYPE, "PEM", error);
    }
    if (!options_.verify_tls) {
      set(CURLOPT_SSL_VERIFYPEER, 0L, error);
      set(CURLOPT_SSL_VERIFYHOST, 0L, error);
    }
    set_method(error);
    if (error == CURLE_OK) error = build_header_lines();
    set(CURLOPT_HTTPHEADER, header_lines_.get(), error);
    set(CURLOPT_HEADERFUNCTION, &Transfer::on_header, error);
    set(CURLOPT_HEADERDATA, static_cast<void*>(this), error);
    set(CURLOPT_WRITEFUNCTION, &Transfer::on_body, error);
    set(CURLOPT_WRITEDATA, static_cast<void*>(this), error);
    return error;
  }

  // libcurl opens its connections without SOCK_CLOEXEC; a handler started meanwhile would
  // inherit them.
  static curl_socket_t open_socket(void*, curlsocktype, curl_sockaddr* address) {
    return ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
  }

  // PEM text from the options; libcurl copies it, so nothing here must outlive the call.
  void set_blob(CURLoption option, const std::string& pem, CURLcode& first_error) {
    if (pem.empty()) return;
    curl_blob blob{const_cast<char*>(pem.data()), pem.size(), CURL_BLOB_COPY};
    set(option, &blob, first_error);
  }

  void set_method(CURLcode& error) {
    const std::string& method = request_.method;
    if (method == "HEAD") {
      set(CURLOPT_NOBODY, 1L, error);
    } else if (method == "GET" && request_.body.empty()) {
      set(CURLOPT_HTTPGET, 1L, error);
    } else {
      set(CURLOPT_CUSTOMREQUEST, method.c_str(), error);
    }
    if (!request_.body.empty() || is_post_like(method)) {
      set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request_.body.size()), error);
      set(CURLOPT_POSTFIELDS, request_.body.data(), error);
    }
  }

  CURLcode build_header_lines() {
    const Headers& headers = request_.headers;
    bool ok = true;
    if (!options_.bearer_token.empty() && !headers.contains("Authorization")) {
      ok = ok && header_lines_.append("Authorization: Bearer " + options_.bearer_token);
    }
    // libcurl would label a body as a form and, for large ones, wait for "100 Continue",
    // which servers need not send; the caller says what the body is.
    if (!headers.contains("Content-Type")) ok = ok && header_lines_.append("Content-Type:");
    if (!headers.contains("Expect")) ok = ok && header_lines_.append("Expect:");
    for (const auto& [name, value] : headers) {
      // "Name:" is libcurl's way to suppress a header; "Name: value" adds or replaces one.
      ok = ok && header_lines_.append(value.empty() ? name + ":" : name + ": " + value);
    }
    return ok ? CURLE_OK : CURLE_OUT_OF_MEMORY;
  }

  TransferResult drive(milliseconds idle_timeout) {
    last_activity_ = SteadyClock::now();
    while (true) {
      if (cancel_.cancelled()) return cancelled();
      int running = 0;
      if (const CURLMcode code = curl_multi_perform(multi_, &running); code != CURLM_OK) {
        return failure(FailureKind::kLocal, ErrorCode::kInternal,
                       describe() + ": " + curl_multi_strerror(code));
      }
      if (running == 0) break;
      milliseconds wait = kSafetyPoll;
      if (idle_timeout.count() > 0) {
        const auto quiet = SteadyClock::now() - last_activity_;
        if (quiet >= idle_timeout) {
          return failure(
              FailureKind::kTimeout, ErrorCode::kUnavailable,
              describe() + ": no data for " + std::to_string(idle_timeout.count()) + " ms");
        }
        wait = std::min(wait, std::chrono::ceil<milliseconds>(idle_timeout - quiet));
      }
      // Returns early on socket activity, libcurl's own timers, or Canceller's wake-up.
      if (const CURLMcode code =
              curl_multi_poll(multi_, nullptr, 0, static_cast<int>(wait.count()), nullptr);
          code != CURLM_OK) {
        return failure(FailureKind::kLocal, ErrorCode::kInternal,
                       describe() + ": " + curl_multi_strerror(code));
      }
    }
    CURLcode result = CURLE_OK;
    int queued = 0;
    while (CURLMsg* message = curl_multi_info_read(multi_, &queued)) {
      if (message->msg == CURLMSG_DONE) result = message->data.result;
    }
    return finish(result);
  }

  TransferResult finish(CURLcode code) {
    if (code == CURLE_OK || (code == CURLE_WRITE_ERROR && stopped_)) {
      long status = 0;
      curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &status);
      response_.status = static_cast<int>(status);
      response_.url = url_;
      return std::move(response_);
    }
    if (!handler_error_.empty()) {
      return failure(FailureKind::kLocal, ErrorCode::kInternal,
                     describe() + ": the chunk handler failed: " + handler_error_);
    }
    if (too_large_) {
      return failure(FailureKind::kLocal, ErrorCode::kTooLarge,
                     describe() + ": the response body exceeds " +
                         std::to_string(options_.max_response_bytes) + " bytes");
    }
    const std::string reason = error_buffer_[0] != '\0' ? error_buffer_ : curl_easy_strerror(code);
    // request_size counts the bytes of request head sent; none sent means the server cannot
    // have acted on the request, which is what makes a retry safe.
    long sent = 0;
    curl_easy_getinfo(easy_, CURLINFO_REQUEST_SIZE, &sent);
    if (is_connect_failure(code) || sent == 0) {
      const std::string where =
          options_.unix_socket.empty() ? options_.base_url : "unix:" + options_.unix_socket;
      return failure(FailureKind::kConnect, ErrorCode::kUnavailable,
                     "cannot reach " + where + ": " + reason);
    }
    const FailureKind kind =
        code == CURLE_OPERATION_TIMEDOUT ? FailureKind::kTimeout : FailureKind::kTransfer;
    return failure(kind, ErrorCode::kUnavailable, describe() + ": " + reason);
  }

  static std::size_t on_header(char* data, std::size_t size, std::size_t count, void* self) {
    auto* transfer = static_cast<Transfer*>(self);
    try {
      transfer->add_header_line(std::string_view(data, size * count));
    } catch (...) {
      return 0;  // out of memory: abort the exchange rather than unwind through libcurl
    }
    return size * count;
  }

  static std::size_t on_body(char* data, std::size_t size, std::size_t count, void* self) {
    return static_cast<Transfer*>(self)->add_body(std::string_view(data, size * count))
               ? size * count
               : 0;
  }

  void add_header_line(std::string_view line) {
    last_activity_ = SteadyClock::now();
    // A status line starts a new head: after "100 Continue" or a proxy's CONNECT answer.
    if (line.starts_with("HTTP/")) {
      response_.headers.clear();
      return;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) return;  // the blank line that ends the head
    const std::string_view name = trim(line.substr(0, colon));
    const std::string_view value = trim(line.substr(colon + 1));
    auto [it, inserted] = response_.headers.try_emplace(std::string(name), value);
    if (!inserted) (it->second += ", ") += value;
  }

  bool add_body(std::string_view bytes) {
    last_activity_ = SteadyClock::now();
    long status = 0;
    curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &status);
    const bool success = status >= 200 && status < 300;
    try {
      if (on_chunk_ != nullptr && success) {
        if (!(*on_chunk_)(bytes)) stopped_ = true;
        return !stopped_;
      }
      const std::size_t limit = on_chunk_ != nullptr
                                    ? std::min(options_.max_response_bytes, kMaxStreamErrorBody)
                                    : options_.max_response_bytes;
      if (response_.body.size() + bytes.size() > limit) {
        if (on_chunk_ == nullptr) {
          too_large_ = true;
          return false;
        }
        // An error message this long is kept truncated rather than failing the stream.
        response_.body.append(bytes.substr(0, limit - response_.body.size()));
        stopped_ = true;
        return false;
      }
      response_.body.append(bytes);
      return true;
    } catch (const std::exception& error) {
      handler_error_ = error.what();
    } catch (...) {
      handler_error_ = "an exception that is not a std::exception";
    }
    if (handler_error_.empty()) handler_error_ = "an exception with an empty message";
    return false;
  }

  std::string describe() const { return request_.method + " " + url_; }

  TransferResult cancelled() const {
    return failure(FailureKind::kCancelled, ErrorCode::kUnavailable, describe() + ": cancelled");
  }

  static TransferResult failure(FailureKind kind, ErrorCode code, std::string message) {
    return tl::unexpected(TransferFailure{Error{code, std::move(message), {}}, kind});
  }

  CURL* easy_;
  CURLM* multi_;
  const ClientOptions& options_;
  const CancelState& cancel_;
  const Request& request_;
  const ChunkHandler* on_chunk_;
  const std::string url_;
  HeaderLines header_lines_;
  char error_buffer_[CURL_ERROR_SIZE] = {};
  Response response_;
  SteadyClock::time_point last_activity_;
  bool stopped_ = false;    // the chunk handler asked to stop, or an error body was cut short
  bool too_large_ = false;  // request() body over max_response_bytes
  std::string handler_error_;
};

}  // namespace

TransferResult perform_transfer(const TransferSetup& setup, const Request& request,
                                const ChunkHandler* on_chunk, milliseconds idle_timeout) {
  return Transfer(setup, request, on_chunk).run(idle_timeout);
}

}  // namespace pop::http_client::detail
