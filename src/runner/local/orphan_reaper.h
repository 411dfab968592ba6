// Containment for handlers that leave their process group (setsid, double fork): the process
// becomes a child subreaper, so such descendants are re-parented to it instead of to init,
// and can be found and ended when the work is over.
#pragma once

#include <cstddef>

namespace pop {

// Marks this process as a child subreaper (prctl PR_SET_CHILD_SUBREAPER). Returns false when
// the kernel refuses; containment is then best effort, as before.
bool become_subreaper();

// SIGKILLs and reaps every remaining child process of this process. Call only when no
// child is legitimately running any more (e.g. after the runner has shut down). Returns how
// many were ended.
std::size_t kill_and_reap_children();

}  // namespace pop
