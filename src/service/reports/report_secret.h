// The server's secret for report tokens (see report_token.h), kept in the store as a
// server_secret document rather than in a file of the data directory: replicas share the
// store, not a disk, and must all verify the tokens any of them issued; a backup of the
// store also restores the secret, so tokens of running handlers stay valid after a
// restore. It cannot be stored hashed like API tokens, since it is a key the server
// computes with; anyone who can read the store can already write agendas and outputs.
#pragma once

#include <string>

#include "store/store.h"

namespace pop::service {

inline constexpr std::size_t kReportSecretBytes = 32;

// The stored secret, creating it (kReportSecretBytes from the CSPRNG) on the first start.
// Two replicas starting at once agree: the second create fails and reads the first's.
// kUnavailable when the store refuses, kInternal when the stored document is damaged.
Result<std::string> load_or_create_report_secret(store::Store& store, WallTime now);

}  // namespace pop::service
