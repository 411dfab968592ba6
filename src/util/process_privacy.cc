#include "util/process_privacy.h"

#include <sys/prctl.h>

namespace pop {

// Cannot fail for these arguments on Linux.
void hide_from_processes_of_the_same_user() { (void)::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); }

}  // namespace pop
