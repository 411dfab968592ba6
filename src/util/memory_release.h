// How the process's allocator treats large blocks.
#pragma once

namespace pop {

// Makes blocks of 256 KiB and more come straight from the kernel and go straight back when
// freed. glibc otherwise raises its mmap threshold to the largest block freed so far (up to
// 32 MiB), after which multi-megabyte documents (agendas, progress, outputs, bodies) are
// carved from per-thread arenas whose memory stays with the process long after they are
// gone: a burst of large requests would leave the server at its high-water mark for good.
// Call once, early in main(), before threads start.
void return_large_blocks_to_the_system();

}  // namespace pop
