#include "http/request_head_rules.h"

#include <vector>

#include "http/error_response.h"
#include "util/result.h"

namespace pop::http {

namespace {

std::size_t count_fields(const Headers& headers, std::string_view name) {
  std::size_t count = 0;
  for (const auto& [field, value] : headers.fields()) count += iequals(field, name) ? 1 : 0;
  return count;
}

std::string_view trimmed(std::string_view text) {
  const std::size_t first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

// Every coding of every Transfer-Encoding field, in order (RFC 9110 §5.3 list syntax).
std::vector<std::string_view> transfer_codings(const Headers& headers) {
  std::vector<std::string_view> codings;
  for (const auto& [field, value] : headers.fields()) {
    if (!iequals(field, "Transfer-Encoding")) continue;
    std::string_view rest = value;
    while (true) {
      const std::size_t comma = rest.find(',');
      if (std::string_view coding = trimmed(rest.substr(0, comma)); !coding.empty())
        codings.push_back(coding);
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return codings;
}

}  // namespace

std::optional<HeadRefusal> check_request_head(int version, const Headers& headers) {
  const std::size_t hosts = count_fields(headers, "Host");
  if (version >= 11 && hosts != 1) {
    return HeadRefusal{400, error_code_name(ErrorCode::kInvalidArgument),
                       hosts == 0 ? "an HTTP/1.1 request needs a Host header field"
                                  : "a request may have only one Host header field"};
  }
  if (hosts > 1) {
    return HeadRefusal{400, error_code_name(ErrorCode::kInvalidArgument),
                       "a request may have only one Host header field"};
  }
  if (count_fields(headers, "Transfer-Encoding") > 0) {
    if (version < 11) {
      return HeadRefusal{400, error_code_name(ErrorCode::kInvalidArgument),
                         "Transfer-Encoding is not allowed in an HTTP/1.0 request"};
    }
    const std::vector<std::string_view> codings = transfer_codings(headers);
    if (codings.size() != 1 || !iequals(codings.front(), "chunked")) {
      std::string listed;
      for (std::string_view coding : codings)
        listed += (listed.empty() ? "" : ", ") + std::string(coding);
      return HeadRefusal{
          501, kNotImplementedCode,
          "the only transfer coding this server accepts is a single chunked, not \"" + listed +
              "\""};
    }
  }
  if (count_fields(headers, "Authorization") > 1) {
    return HeadRefusal{400, error_code_name(ErrorCode::kInvalidArgument),
                       "a request may have only one Authorization header field"};
  }
  return std::nullopt;
}

}  // namespace pop::http
