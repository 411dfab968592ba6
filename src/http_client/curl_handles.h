// Private to http_client: owners for libcurl's handles, and its process-wide set-up.
#pragma once

#include <curl/curl.h>

#include <memory>
#include <string>

#include "util/result.h"

namespace pop::http_client::detail {

struct EasyDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
struct MultiDeleter {
  void operator()(CURLM* handle) const { curl_multi_cleanup(handle); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

using EasyHandle = std::unique_ptr<CURL, EasyDeleter>;
using MultiHandle = std::unique_ptr<CURLM, MultiDeleter>;

// A curl_slist of header lines, freed with its owner.
class HeaderLines {
 public:
  // False when curl could not allocate; the list is unchanged then.
  bool append(const std::string& line) {
    curl_slist* head = curl_slist_append(list_.get(), line.c_str());
    if (head == nullptr) return false;
    if (!list_) list_.reset(head);  // later appends return the same head
    return true;
  }
  curl_slist* get() const { return list_.get(); }

 private:
  std::unique_ptr<curl_slist, SlistDeleter> list_;
};

// Runs curl_global_init exactly once per process, whichever thread gets here first; later
// calls return the first call's outcome. curl_global_cleanup is deliberately never called:
// at exit other threads may still hold handles, and the OS reclaims everything anyway.
Result<void> ensure_curl_initialized();

}  // namespace pop::http_client::detail
