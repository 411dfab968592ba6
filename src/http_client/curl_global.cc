#include <mutex>

#include "http_client/curl_handles.h"

namespace pop::http_client::detail {

Result<void> ensure_curl_initialized() {
  static std::once_flag once;
  static CURLcode outcome = CURLE_OK;
  std::call_once(once, [] { outcome = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (outcome != CURLE_OK) {
    return fail(ErrorCode::kInternal,
                std::string("cannot initialise libcurl: ") + curl_easy_strerror(outcome));
  }
  return {};
}

}  // namespace pop::http_client::detail
