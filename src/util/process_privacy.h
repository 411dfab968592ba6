// Keeping a process that holds credentials away from the handlers it starts, which run as
// the same user under the local runner.
#pragma once

namespace pop {

// Makes this process non-dumpable (prctl PR_SET_DUMPABLE 0): other processes of the same
// user can no longer read its memory or its environment (/proc/PID/mem, /proc/PID/environ,
// which hold a puller's token), ptrace it, or list its descriptors; it also writes no core
// dump. Root keeps access. Call early in a long-running command that starts handlers.
void hide_from_processes_of_the_same_user();

}  // namespace pop
