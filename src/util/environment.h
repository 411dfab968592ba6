// Reading this process's environment.
#pragma once

#include <string>

namespace pop {

// The value of the environment variable `name`, or "" when it is not set.
std::string environment_variable(const char* name);

}  // namespace pop
