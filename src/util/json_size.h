// The size of JSON built in memory rather than parsed (resolved payloads, bound templates,
// handler outputs): its serialised length and how many values it holds, measured without
// serialising it, and a running budget that refuses a value before it is copied in.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace pop {

struct JsonSize {
  std::size_t bytes = 0;   // what dump() writes: compact, UTF-8 as is (exact for valid UTF-8)
  std::size_t values = 0;  // every scalar, object and array; object keys are not values
  int depth = 0;           // of the deepest object or array, the outermost being 1
};

// Walks `value` once, allocating nothing but the text of floating-point numbers. Recursive:
// for values whose depth is bounded (parsed or built within limits).
JsonSize json_size(const nlohmann::json& value);
// The size of `text` as a JSON string, without making one of it.
JsonSize json_string_size(std::string_view text);

// How much of `limit` a document under construction has used. The owner charges each change
// before making it, so a document never outgrows its limit by more than nothing at all.
class JsonBudget {
 public:
  // `used`: what the document holds to begin with (it may already exceed `limit`).
  explicit JsonBudget(JsonSize limit, JsonSize used = {}) : limit_(limit), used_(used) {}

  // Replacing a part of size `removed` by one of size `added`: true, and counted, when the
  // document stays within the limit; false, counting nothing, when it would not.
  bool replace(JsonSize removed, JsonSize added);
  // Whether replace(removed, added) would succeed; counts nothing.
  bool fits(JsonSize removed, JsonSize added) const;

  // "the limit of N bytes (serialised)" or "the limit of N JSON values": the one that
  // replace(removed, added) would pass. REQUIRES: that replace() returned false.
  std::string passed_limit(JsonSize removed, JsonSize added) const;

  const JsonSize& used() const { return used_; }
  const JsonSize& limit() const { return limit_; }

 private:
  JsonSize after(JsonSize removed, JsonSize added) const;

  JsonSize limit_;
  JsonSize used_;
};

}  // namespace pop
