#include "kubernetes/token_source.h"

#include <fstream>
#include <sstream>
#include <utility>

namespace pop::kubernetes {

TokenSource::TokenSource(std::string token) : token_(std::move(token)), read_once_(true) {}

TokenSource::TokenSource(std::filesystem::path file, std::chrono::steady_clock::duration refresh,
                         const Clock& clock)
    : file_(std::move(file)), refresh_(refresh), clock_(&clock) {}

std::string TokenSource::token() {
  std::lock_guard lock(mutex_);
  if (file_.empty()) return token_;
  const auto now = clock_->steady_now();
  if (read_once_ && now - read_at_ < refresh_) return token_;
  std::ifstream in(file_);
  std::stringstream text;
  text << in.rdbuf();
  std::string token = text.str();
  const auto first = token.find_first_not_of(" \t\r\n");
  token = first == std::string::npos
              ? std::string()
              : token.substr(first, token.find_last_not_of(" \t\r\n") - first + 1);
  if (in && !token.empty()) token_ = std::move(token);
  read_at_ = now;
  read_once_ = true;
  return token_;
}

}  // namespace pop::kubernetes
