// Test support: a client with the given options, the test failing when they are refused.
#pragma once

#include <gtest/gtest.h>

#include <utility>

#include "http_client/client.h"

namespace pop::http_client::testing {

inline Client make_client(const ClientOptions& options) {
  auto client = Client::create(options);
  EXPECT_TRUE(client) << client.error().message;
  return std::move(*client);
}

}  // namespace pop::http_client::testing
