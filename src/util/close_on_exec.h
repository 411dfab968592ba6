// Keeping descriptors out of the programs this process starts. POP opens every descriptor
// with O_CLOEXEC/SOCK_CLOEXEC and hands a child its few contract descriptors by dup2 in the
// child (runner/local/child_process.h), so no descriptor is ever meant to be inherited; these
// helpers cover libraries that open some of their own without the flag and offer no hook.
#pragma once

#include <vector>

namespace pop {

// This process's descriptors, from 3 up, that a started program would inherit; ascending.
std::vector<int> inheritable_descriptors();

// Marks every descriptor from 3 up close-on-exec: called after a library call that opens
// descriptors without the flag (libcurl's multi handle and its wake-up socket pair).
void make_descriptors_close_on_exec();

}  // namespace pop
