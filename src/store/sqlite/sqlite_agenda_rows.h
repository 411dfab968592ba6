// Row-level SQL on agendas, progress and leases shared by several SqliteStore methods.
// Every function runs on a connection the caller owns for the moment (the writer inside a
// savepoint, or a pooled reader) and does not manage transactions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "store/record_rows.h"
#include "store/sqlite/sqlite_connection.h"
#include "store/store_types.h"
#include "util/result.h"

namespace pop::store::sqlite {

// Appends an audit record whose details are already encoded; returns its sequence.
Result<std::int64_t> insert_audit_row(Connection& db, const AuditRecord& record,
                                      const std::string& details);

// Inserts the progress row of a new agenda.
Result<void> insert_progress(Connection& db, std::int64_t agenda_sequence,
                             const EncodedProgress& progress);
// Replaces the progress row of an existing agenda.
Result<void> replace_progress(Connection& db, std::int64_t agenda_sequence,
                              const EncodedProgress& progress);

// kNotFound: no agenda with this id.
Result<LeaseRow> find_lease(Connection& db, std::string_view agenda_id);

// Writes the lease columns of `row` (creating the lease row when needed).
Result<void> store_lease(Connection& db, const LeaseRow& row);

}  // namespace pop::store::sqlite
