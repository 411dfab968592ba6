// Test support: an HTTP client of a POP server acting as the bearer of a token.
#pragma once

#include <stdexcept>
#include <string>

#include "http_client/client.h"

namespace pop::testing {

// Throws when the client cannot be made, so that a test stops at once.
inline http_client::Client api_client(const std::string& base_url,
                                      const std::string& bearer_token) {
  http_client::ClientOptions options;
  options.base_url = base_url;
  options.bearer_token = bearer_token;
  auto client = http_client::Client::create(options);
  if (!client) throw std::runtime_error(client.error().message);
  return std::move(*client);
}

}  // namespace pop::testing
