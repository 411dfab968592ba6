// What the fuzz targets share: cutting one input into the several texts a parser takes, and
// checking the invariants a target states beyond "does not crash".
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace pop::fuzz {

// The input as text.
inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// `input` cut at its first `parts - 1` NUL bytes, which no JSON or YAML text contains: always
// `parts` texts, the missing ones empty. Seeds write the parts with "\0" between them.
inline std::vector<std::string_view> split_input(std::string_view input, std::size_t parts) {
  std::vector<std::string_view> texts;
  while (texts.size() + 1 < parts) {
    const std::size_t nul = input.find('\0');
    if (nul == std::string_view::npos) break;
    texts.push_back(input.substr(0, nul));
    input.remove_prefix(nul + 1);
  }
  texts.push_back(input);
  texts.resize(parts);
  return texts;
}

// Whether `text` is valid UTF-8, as every string of a parsed JSON document is.
inline bool is_utf8(std::string_view text) {
  try {
    (void)nlohmann::json(std::string(text)).dump();
    return true;
  } catch (const nlohmann::json::type_error&) {
    return false;
  }
}

// An invariant of the code under test does not hold: libFuzzer reports the abort as a crash
// and keeps the input.
[[noreturn]] inline void invariant_failed(const char* condition, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", file, line, condition);
  std::abort();
}

}  // namespace pop::fuzz

#define POP_FUZZ_CHECK(condition) \
  ((condition) ? void(0) : ::pop::fuzz::invariant_failed(#condition, __FILE__, __LINE__))
