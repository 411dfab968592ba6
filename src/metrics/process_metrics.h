// The process's own figures at scrape time, under the names every Prometheus client library
// uses (process_cpu_seconds_total, process_resident_memory_bytes, ...), read from /proc.
#pragma once

#include "metrics/metrics_registry.h"

namespace pop::metrics {

// CPU seconds (user + system), resident and virtual memory, open and allowed descriptors,
// threads, and the start time; a figure /proc does not give is left out.
Families process_metrics();

}  // namespace pop::metrics
