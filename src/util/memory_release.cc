#include "util/memory_release.h"

#include <malloc.h>

namespace pop {

void return_large_blocks_to_the_system() {
  constexpr int kMmapThresholdBytes = 256 * 1024;
  // A fixed threshold also turns glibc's dynamic adjustment off. Sanitizer allocators
  // ignore it, which is fine: they are for tests.
  (void)mallopt(M_MMAP_THRESHOLD, kMmapThresholdBytes);
}

}  // namespace pop
