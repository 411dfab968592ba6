// How many of its descriptors `pop server` keeps free of client connections, for everything
// else it opens: its store, the signal watcher, the log, outbound connections, and the
// handlers its embedded puller runs.
#pragma once

#include <cstddef>

namespace pop::server {

// Descriptors for what the server opens whatever it runs: the store (database, write-ahead
// log, shared memory, lock), the signal watcher, the log, outbound connections.
inline constexpr std::size_t kBaseReservedDescriptors = 256;
// What one running operation may hold in the server's process under the local runner: its
// log file, the handler's output and progress pipes (both ends while it starts), its pidfd,
// a payload file while it is written; 8 leaves room. Its report connection back to the
// server is a client connection, counted as one.
inline constexpr std::size_t kDescriptorsPerOperation = 8;

// The descriptors to reserve out of `open_file_limit` for a server whose embedded puller
// runs up to `agendas` agendas at once (0: no embedded puller), each with up to
// `operations_per_agenda` operations at once: kBaseReservedDescriptors plus
// kDescriptorsPerOperation for every operation that may run, but never more than half the
// limit (nor less than the base), so that clients keep the other half.
//
// Why a cap: the operations are a worst case (every agenda at its widest at once), and on a
// small limit reserving it all would leave clients almost nothing (1,024 descriptors, four
// agendas of 32 operations: 1,280 reserved, 16 connections). Past the cap, a puller at its
// widest and a full set of connections can together run out of descriptors; then waiting
// clients are answered 503 (http/server.h) and a handler that cannot start fails its
// attempt, which is retried as any failed attempt is.
std::size_t reserved_descriptors(std::size_t open_file_limit, std::size_t agendas,
                                 std::size_t operations_per_agenda);

}  // namespace pop::server
