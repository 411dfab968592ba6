#include "util/environment.h"

#include <cstdlib>

namespace pop {

std::string environment_variable(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

}  // namespace pop
