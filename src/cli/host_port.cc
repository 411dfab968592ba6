#include "cli/host_port.h"

namespace pop::cli {

Result<std::pair<std::string, std::uint16_t>> parse_host_port(const std::string& flag,
                                                              const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return fail(ErrorCode::kInvalidArgument, flag + " must be HOST:PORT, not \"" + text + "\"");
  const std::string port = text.substr(colon + 1);
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos || std::stoul(port) > 65535)
    return fail(ErrorCode::kInvalidArgument, flag + " port must be a number from 0 to 65535");
  return std::pair{text.substr(0, colon), static_cast<std::uint16_t>(std::stoul(port))};
}

}  // namespace pop::cli
