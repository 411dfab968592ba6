// Identifiers that nobody can guess or collide with: 128 random bits; and seeds.
#pragma once

#include <cstdint>
#include <string>

namespace pop {

// A random UUID (version 4) in its canonical text form, from the OS's CSPRNG.
std::string random_uuid();

// A seed for a pseudo-random engine, from the OS's CSPRNG. Cheaper than constructing a
// std::random_device, whose set-up queries the CPU (a trap to the hypervisor on a virtual
// machine): measured at 6% of the embedded puller's pull thread, one per agenda.
std::uint64_t random_seed();

}  // namespace pop
