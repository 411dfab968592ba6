// SqliteStore: opening, agendas and progress. Leases are in sqlite_store_leases.cc,
// documents and the audit log in sqlite_store_documents.cc.
#include "store/sqlite/sqlite_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>
#include <utility>

#include "store/sqlite/sqlite_agenda_rows.h"
#include "store/store_codec.h"

namespace pop::store::sqlite {
namespace {

Result<void> prepare_directory(const std::filesystem::path& directory) {
  std::error_code error;
  if (std::filesystem::create_directories(directory, error)) {
    // Agendas carry customers' data: keep the directory private to the server's user.
    std::filesystem::permissions(directory, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace, error);
  }
  if (error || !std::filesystem::is_directory(directory, error)) {
    return fail(ErrorCode::kUnavailable, "cannot use data directory " + directory.string() +
                                             (error ? ": " + error.message() : ""));
  }
  return {};
}

// SQLite would create the database with mode 0644 less the umask, and gives its -wal and
// -shm files the database's own mode: creating it 0600 first keeps all three private
// (customers' payloads, the report token key) whatever the umask.
Result<void> create_private_file(const std::filesystem::path& file) {
  const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return {};
    return fail(ErrorCode::kUnavailable,
                "cannot create database " + file.string() + ": " + std::strerror(errno));
  }
  const bool made_private = ::fchmod(fd, 0600) == 0;
  ::close(fd);
  if (!made_private)
    return fail(ErrorCode::kUnavailable, "cannot make database " + file.string() + " private");
  return {};
}

Result<Connection> open_writer(const std::filesystem::path& file,
                               const SqliteStoreOptions& options) {
  auto db = Connection::open(file, Connection::Mode::kWriter, options.busy_timeout, options.vfs);
  if (!db) return fail(std::move(db.error()));
  auto mode = db->query_text("PRAGMA journal_mode = WAL");
  if (!mode) return fail(std::move(mode.error()));
  if (*mode != "wal") {
    return fail(ErrorCode::kUnavailable,
                "cannot put " + file.string() + " in write-ahead-log mode (got " + *mode + ")");
  }
  // FULL: in WAL mode every commit syncs the log, which is what makes a returned write
  // survive a crash. NORMAL would be faster and lose the last commits on power loss.
  std::string pragmas =
      "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; "
      "PRAGMA journal_size_limit = 67108864;";
  if (options.max_page_count > 0) {
    pragmas += " PRAGMA max_page_count = " + std::to_string(options.max_page_count) + ";";
  }
  if (auto set = db->execute(pragmas); !set) return fail(std::move(set.error()));
  return db;
}

Result<AgendaRecord> single_agenda(StatementUse& statement, std::string_view id) {
  auto row = statement->step();
  if (!row) return fail(std::move(row.error()));
  if (!*row) return fail(ErrorCode::kNotFound, "no agenda " + std::string(id));
  return read_agenda_row(*statement);
}

// kResourceExhausted when the customer has `max` agendas waiting for a puller already. The
// writer's unit is exclusive, so no other insert runs between the count and the insert.
Result<void> count_waiting(Connection& db, const std::string& customer_id, std::int64_t max) {
  auto count = db.prepare(
      "SELECT count(*) FROM (SELECT 1 FROM agendas a "
      "JOIN progress p ON p.agenda_sequence = a.sequence "
      "LEFT JOIN leases l ON l.agenda_sequence = a.sequence "
      "WHERE a.customer_id = ?1 AND p.processing_state = 'WAITING' AND p.state_message <> ?2 "
      "AND l.holder IS NULL LIMIT ?3)");
  if (!count) return fail(std::move(count.error()));
  (*count)->bind(1, customer_id);
  (*count)->bind(2, std::string(kHeldStateMessage));
  (*count)->bind(3, max);
  auto row = (*count)->step();
  if (!row) return fail(std::move(row.error()));
  return waiting_quota(customer_id, (*count)->column_int64(0), max);
}

Result<InsertedAgenda> insert_agenda_row(Connection& db, const EncodedNewAgenda& encoded) {
  const NewAgenda& request = *encoded.request;
  const AgendaRecord& agenda = request.agenda;
  if (!request.idempotency_key.empty()) {
    auto replay = db.prepare(
        "SELECT a.id, a.sequence FROM idempotency_keys k "
        "JOIN agendas a ON a.sequence = k.agenda_sequence "
        "WHERE k.customer_id = ?1 AND k.key = ?2");
    if (!replay) return fail(std::move(replay.error()));
    (*replay)->bind(1, agenda.customer_id);
    (*replay)->bind(2, request.idempotency_key);
    auto row = (*replay)->step();
    if (!row) return fail(std::move(row.error()));
    if (*row) {
      return InsertedAgenda{std::string((*replay)->column_text(0)), (*replay)->column_int64(1),
                            true};
    }
  }
  if (request.max_waiting) {
    auto counted = count_waiting(db, agenda.customer_id, *request.max_waiting);
    if (!counted) return fail(std::move(counted.error()));
  }
  auto insert = db.prepare(
      "INSERT INTO agendas (id, customer_id, resource_pool_id, insight_id, link_id, priority, "
      "added_ms, updated_ms, title, document) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
      "ON CONFLICT (id) DO NOTHING");
  if (!insert) return fail(std::move(insert.error()));
  Statement& row = **insert;
  row.bind(1, agenda.id);
  row.bind(2, agenda.customer_id);
  row.bind(3, agenda.resource_pool_id);
  row.bind(4, agenda.insight_id);
  row.bind(5, agenda.link_id);
  row.bind(6, std::int64_t{agenda.priority});
  row.bind(7, to_millis(agenda.added_time));
  row.bind(8, to_millis(agenda.updated_time));
  row.bind(9, agenda.title);
  row.bind(10, encoded.document);
  if (auto done = row.run(); !done) return fail(std::move(done.error()));
  if (db.changes() == 0) {
    return fail(ErrorCode::kConflict, "an agenda with id " + agenda.id + " already exists");
  }
  const std::int64_t sequence = db.last_insert_rowid();
  if (auto done = insert_progress(db, sequence, encoded.progress); !done) {
    return fail(std::move(done.error()));
  }
  if (!request.idempotency_key.empty()) {
    auto key = db.prepare(
        "INSERT INTO idempotency_keys (customer_id, key, agenda_sequence) VALUES (?1, ?2, ?3)");
    if (!key) return fail(std::move(key.error()));
    (*key)->bind(1, agenda.customer_id);
    (*key)->bind(2, request.idempotency_key);
    (*key)->bind(3, sequence);
    if (auto done = (*key)->run(); !done) return fail(std::move(done.error()));
  }
  if (request.audit) {
    if (auto done = insert_audit_row(db, *request.audit, *encoded.audit_details); !done)
      return fail(std::move(done.error()));
  }
  return InsertedAgenda{agenda.id, sequence, false};
}

// The listing's SQL for the filters that are set. Parameters keep fixed numbers (?1 after,
// ?2 customer, ?3 link, ?4 state, ?5 limit, ?6 insight, ?7... the customers of
// customer_ids) so that every text binds the same way; SQLite allows numbers a text does not
// use.
constexpr int kFirstCustomerParameter = 7;

std::string agenda_listing_sql(const AgendaQuery& query) {
  std::string sql = "SELECT " + std::string(kSummaryColumns) +
                    " FROM agendas a JOIN progress p ON p.agenda_sequence = a.sequence";
  sql += " WHERE a.sequence > ?1";
  if (query.customer_id) sql += " AND a.customer_id = ?2";
  if (query.link_id) sql += " AND a.link_id = ?3";
  if (query.processing_state) sql += " AND p.processing_state = ?4";
  if (query.insight_id) sql += " AND a.insight_id = ?6";
  if (!query.customer_ids.empty()) {
    sql += " AND a.customer_id IN (";
    for (std::size_t i = 0; i < query.customer_ids.size(); ++i)
      sql += (i == 0 ? "?" : ", ?") + std::to_string(kFirstCustomerParameter + i);
    sql += ")";
  }
  sql += " ORDER BY a.sequence LIMIT ?5";
  return sql;
}

}  // namespace

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const SqliteStoreOptions& options) {
  return open(options, builtin_migrations());
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const SqliteStoreOptions& options,
                                                       std::span<const Migration> migrations) {
  if (auto ready = prepare_directory(options.data_directory); !ready) {
    return fail(std::move(ready.error()));
  }
  const std::filesystem::path file = options.data_directory / options.file_name;
  if (auto created = create_private_file(file); !created) {
    return fail(std::move(created.error()));
  }
  auto writer = open_writer(file, options);
  if (!writer) return fail(std::move(writer.error()));
  if (auto migrated = migrate(*writer, migrations); !migrated) {
    return fail(std::move(migrated.error()));
  }
  // Readers open after the migration so they never see a half-built schema.
  std::vector<Connection> readers;
  for (std::size_t i = 0; i < std::max<std::size_t>(options.read_connections, 1); ++i) {
    auto reader =
        Connection::open(file, Connection::Mode::kReader, options.busy_timeout, options.vfs);
    if (!reader) return fail(std::move(reader.error()));
    readers.push_back(std::move(*reader));
  }
  return std::unique_ptr<SqliteStore>(new SqliteStore(
      file, std::make_unique<WriteBatcher>(std::move(*writer), options.max_batch, options.metrics),
      std::make_unique<ConnectionPool>(std::move(readers)), options.warn));
}

SqliteStore::SqliteStore(std::filesystem::path database_path, std::unique_ptr<WriteBatcher> writer,
                         std::unique_ptr<ConnectionPool> readers, Warn warn)
    : database_path_(std::move(database_path)),
      writer_(std::move(writer)),
      readers_(std::move(readers)),
      warn_(std::move(warn)) {}

SqliteStore::~SqliteStore() = default;

Result<InsertedAgenda> SqliteStore::insert_agenda(const NewAgenda& request) {
  auto encoded = encode_new_agenda(request);
  if (!encoded) return fail(std::move(encoded.error()));
  return run_returning<InsertedAgenda>(
      *writer_, [&](Connection& db) { return insert_agenda_row(db, *encoded); });
}

Result<AgendaRecord> SqliteStore::get_agenda(std::string_view id) {
  auto db = readers_->acquire();
  auto statement =
      db->prepare("SELECT " + std::string(kAgendaColumns) + " FROM agendas a WHERE a.id = ?1");
  if (!statement) return fail(std::move(statement.error()));
  (*statement)->bind(1, id);
  return reported(single_agenda(*statement, id));
}

Result<Page<AgendaSummary>> SqliteStore::list_agendas(const AgendaQuery& query) {
  auto after = decode_sequence_cursor(query.cursor, 'a', 0);
  if (!after) return fail(std::move(after.error()));
  const std::size_t limit = clamp_page_limit(query.limit);
  auto db = readers_->acquire();
  auto statement = db->prepare(agenda_listing_sql(query));
  if (!statement) return fail(std::move(statement.error()));
  Statement& listing = **statement;
  listing.bind(1, *after);
  if (query.customer_id) listing.bind(2, *query.customer_id);
  if (query.link_id) listing.bind(3, *query.link_id);
  if (query.processing_state) listing.bind(4, processing_state_name(*query.processing_state));
  if (query.insight_id) listing.bind(6, *query.insight_id);
  for (std::size_t i = 0; i < query.customer_ids.size(); ++i)
    listing.bind(kFirstCustomerParameter + static_cast<int>(i), query.customer_ids[i]);
  listing.bind(5, static_cast<std::int64_t>(limit + 1));  // one more says whether more exist
  return read_page<AgendaSummary>(
      listing, limit, encode_sequence_cursor('a', *after),
      [](Statement& row) { return read_summary_row(row); },
      [](Statement& row) {
        return encode_sequence_cursor('a', row.column_int64(kSummarySequenceColumn));
      },
      warn_);
}

Result<void> SqliteStore::delete_agenda(std::string_view id) {
  return writer_->run([&](Connection& db) -> Result<void> {
    // Progress, lease and idempotency key go with it (ON DELETE CASCADE).
    auto statement = db.prepare("DELETE FROM agendas WHERE id = ?1");
    if (!statement) return fail(std::move(statement.error()));
    (*statement)->bind(1, id);
    if (auto done = (*statement)->run(); !done) return done;
    if (db.changes() == 0) return fail(ErrorCode::kNotFound, "no agenda " + std::string(id));
    return {};
  });
}

Result<std::vector<WaitingAgenda>> SqliteStore::list_waiting_agendas() {
  auto db = readers_->acquire();
  auto statement = db->prepare(
      "SELECT a.id, a.customer_id, a.insight_id, a.sequence, a.priority, a.added_ms, "
      "l.holder IS NOT NULL, p.state_message, a.resource_pool_id FROM progress p "
      "JOIN agendas a ON a.sequence = p.agenda_sequence "
      "LEFT JOIN leases l ON l.agenda_sequence = a.sequence "
      "WHERE p.processing_state = ?1 ORDER BY a.sequence");
  if (!statement) return fail(std::move(statement.error()));
  Statement& listing = **statement;
  listing.bind(1, processing_state_name(ProcessingState::kWaiting));
  std::vector<WaitingAgenda> waiting;
  while (true) {
    auto row = listing.step();
    if (!row) return fail(std::move(row.error()));
    if (!*row) return waiting;
    waiting.push_back({std::string(listing.column_text(0)), std::string(listing.column_text(1)),
                       std::string(listing.column_text(2)), listing.column_int64(3),
                       static_cast<int>(listing.column_int64(4)),
                       from_millis(listing.column_int64(5)), listing.column_int64(6) != 0,
                       std::string(listing.column_text(7)), std::string(listing.column_text(8))});
  }
}

Result<ProgressRecord> SqliteStore::get_progress(std::string_view agenda_id) {
  auto db = readers_->acquire();
  auto statement = db->prepare("SELECT " + std::string(kProgressColumns) +
                               " FROM agendas a JOIN progress p ON p.agenda_sequence = "
                               "a.sequence WHERE a.id = ?1");
  if (!statement) return fail(std::move(statement.error()));
  (*statement)->bind(1, agenda_id);
  auto row = (*statement)->step();
  if (!row) return fail(std::move(row.error()));
  if (!*row) return fail(ErrorCode::kNotFound, "no agenda " + std::string(agenda_id));
  return reported(read_progress_row(**statement));
}

Result<void> SqliteStore::probe_write(WallTime now) {
  return writer_->run([&](Connection& db) -> Result<void> {
    auto statement = db.prepare(
        "INSERT INTO write_probe (id, written_ms) VALUES (1, ?1) "
        "ON CONFLICT (id) DO UPDATE SET written_ms = excluded.written_ms");
    if (!statement) return fail(std::move(statement.error()));
    (*statement)->bind(1, to_millis(now));
    return (*statement)->run();
  });
}

}  // namespace pop::store::sqlite
