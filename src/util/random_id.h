// Identifiers that nobody can guess or collide with: 128 random bits.
#pragma once

#include <string>

namespace pop {

// A random UUID (version 4) in its canonical text form, from the OS's CSPRNG.
std::string random_uuid();

}  // namespace pop
