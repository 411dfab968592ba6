// PostgresStore: opening, agendas and progress. Leases are in postgres_store_leases.cc,
// documents and the audit log in postgres_store_documents.cc.
#include "store/postgres/postgres_store.h"

#include <string>
#include <utility>

#include "postgres/pg_listener.h"
#include "store/postgres/pg_agenda_rows.h"
#include "store/postgres/pg_schema.h"

namespace pop::store::postgres {
namespace {

::pop::postgres::ConnectionPoolOptions pool_options(const PostgresStoreOptions& options,
                                                    std::size_t size) {
  return {options.uri, options.password, std::max<std::size_t>(size, 1), options.acquire_timeout,
          options.clock};
}

Result<InsertedAgenda> insert_agenda_rows(Connection& db, const EncodedNewAgenda& encoded) {
  const NewAgenda& request = *encoded.request;
  const AgendaRecord& agenda = request.agenda;
  // First, because it locks: from here until the commit no other replica inserts an agenda,
  // so the key lookup below sees every agenda committed before this one.
  auto sequence = next_sequence(db, "agenda");
  if (!sequence) return fail(std::move(sequence.error()));
  if (!request.idempotency_key.empty()) {
    auto replay = query(db,
                        "SELECT a.id, a.sequence FROM idempotency_keys k "
                        "JOIN agendas a ON a.sequence = k.agenda_sequence "
                        "WHERE k.customer_id = $1 AND k.key = $2",
                        {agenda.customer_id, request.idempotency_key});
    if (!replay) return fail(std::move(replay.error()));
    if (*replay->step()) {
      return InsertedAgenda{std::string(replay->column_text(0)), replay->column_int64(1), true};
    }
  }
  if (request.max_waiting) {
    // Counted under the counters' lock: no other replica inserts until this commits.
    auto count = query(
        db,
        "SELECT count(*) FROM (SELECT 1 FROM agendas a "
        "JOIN progress p ON p.agenda_sequence = a.sequence "
        "JOIN leases l ON l.agenda_sequence = a.sequence "
        "WHERE a.customer_id = $1 AND p.processing_state = 'WAITING' "
        "AND p.state_message <> $2 AND l.holder IS NULL LIMIT $3) AS waiting",
        {agenda.customer_id, std::string(kHeldStateMessage), parameter(*request.max_waiting)});
    if (!count) return fail(std::move(count.error()));
    if (!*count->step()) return fail(ErrorCode::kInternal, "count(*) returned no row");
    if (auto room = waiting_quota(agenda.customer_id, count->column_int64(0), *request.max_waiting);
        !room)
      return fail(std::move(room.error()));
  }
  // One statement, one round trip: the agenda, its progress, its lease (epoch 0), its
  // idempotency key and the notification that it waits (unless too long for PostgreSQL:
  // then the listeners' resync finds it); nothing when the id exists.
  Parameters parameters{parameter(*sequence),
                        agenda.id,
                        agenda.customer_id,
                        agenda.resource_pool_id,
                        agenda.insight_id,
                        agenda.link_id,
                        parameter(std::int64_t{agenda.priority}),
                        parameter(to_millis(agenda.added_time)),
                        parameter(to_millis(agenda.updated_time)),
                        agenda.title,
                        encoded.document};
  for (auto& value : progress_parameters(*sequence, encoded.progress))  // $12 to $19
    parameters.push_back(std::move(value));
  parameters.push_back(request.idempotency_key);
  parameters.push_back(std::string(kWaitingChannel));
  parameters.push_back(parameter(static_cast<std::int64_t>(kMaxNotificationPayload)));
  static const std::string kInsert =
      "WITH a AS (INSERT INTO agendas (sequence, id, customer_id, resource_pool_id, insight_id, "
      "link_id, priority, added_ms, updated_ms, title, document) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (id) DO NOTHING "
      "RETURNING sequence, id, insight_id), "
      "p AS (INSERT INTO progress (agenda_sequence, processing_state, state_message, "
      "attempts_completed, maximum_attempts, updated_ms, percent_complete, document) "
      "SELECT $12::bigint, $13, $14, $15::integer, $16::integer, $17::bigint, $18::float8, $19 "
      "FROM a), "
      "l AS (INSERT INTO leases (agenda_sequence, epoch) SELECT sequence, 0 FROM a), "
      "k AS (INSERT INTO idempotency_keys (customer_id, key, agenda_sequence) "
      "SELECT $3, $20, sequence FROM a WHERE $20 <> ''), "
      "n AS (SELECT pg_notify($21, " +
      std::string(kWaitingPayloadSql) + ") FROM a WHERE " + std::string(kWaitingPayloadFitsSql) +
      " <= $22::integer) SELECT (SELECT count(*) FROM a), (SELECT count(*) FROM n)";
  auto inserted = query(db, kInsert, parameters);
  if (!inserted) return fail(std::move(inserted.error()));
  if (!*inserted->step() || inserted->column_int64(0) == 0) {
    return fail(ErrorCode::kConflict, "an agenda with id " + agenda.id + " already exists");
  }
  if (request.audit) defer_audit_row(db, *request.audit, *encoded.audit_details);
  return InsertedAgenda{agenda.id, *sequence, false};
}

// The listing's SQL for the filters that are set, with their parameters: PostgreSQL numbers
// parameters by use, so each filter adds the next one.
std::pair<std::string, Parameters> agenda_listing(const AgendaQuery& request, std::int64_t after,
                                                  std::size_t limit) {
  Parameters parameters{parameter(after)};
  auto next = [&](std::string value) {
    parameters.push_back(std::move(value));
    return "$" + std::to_string(parameters.size());
  };
  std::string sql = "SELECT " + std::string(kSummaryColumns) +
                    " FROM agendas a JOIN progress p ON p.agenda_sequence = a.sequence"
                    " WHERE a.sequence > $1";
  if (request.customer_id) sql += " AND a.customer_id = " + next(*request.customer_id);
  if (request.link_id) sql += " AND a.link_id = " + next(*request.link_id);
  if (request.processing_state) {
    sql += " AND p.processing_state = " +
           next(std::string(processing_state_name(*request.processing_state)));
  }
  if (request.insight_id) sql += " AND a.insight_id = " + next(*request.insight_id);
  if (!request.customer_ids.empty()) {
    sql += " AND a.customer_id = ANY (" + next(text_array_parameter(request.customer_ids)) +
           "::text[])";
  }
  sql += " ORDER BY a.sequence LIMIT " + next(parameter(static_cast<std::int64_t>(limit)));
  return {std::move(sql), std::move(parameters)};
}

}  // namespace

Result<std::unique_ptr<PostgresStore>> PostgresStore::open(const PostgresStoreOptions& options) {
  return open(options, builtin_migrations());
}

Result<std::unique_ptr<PostgresStore>> PostgresStore::open(
    const PostgresStoreOptions& options, std::span<const ::pop::postgres::Migration> migrations) {
  auto with_password = ::pop::postgres::uri_has_password(options.uri);
  if (!with_password) return fail(std::move(with_password.error()));
  if (*with_password) {
    return fail(ErrorCode::kInvalidArgument,
                "the connection URI holds a password, which would show in process listings and "
                "logs: give it in PGPASSWORD, a password file (PGPASSFILE) or "
                "--store-password-file instead");
  }
  {
    auto connection = Connection::open(options.uri, options.password);
    if (!connection) return fail(std::move(connection.error()));
    if (auto migrated = ::pop::postgres::migrate(*connection, migrations); !migrated) {
      return fail(std::move(migrated.error()));
    }
  }
  return std::unique_ptr<PostgresStore>(new PostgresStore(options));
}

PostgresStore::PostgresStore(const PostgresStoreOptions& options)
    : options_(options),
      warn_(options.warn),
      readers_(pool_options(options, options.read_connections)),
      writer_connection_(pool_options(options, 1)),
      writer_(
          std::make_unique<PgWriteBatcher>(writer_connection_, options.max_batch, options.metrics)),
      claims_connection_(pool_options(options, 1)),
      claims_(claims_connection_) {}

PostgresStore::~PostgresStore() = default;

Result<InsertedAgenda> PostgresStore::insert_agenda(const NewAgenda& request) {
  auto encoded = encode_new_agenda(request);
  if (!encoded) return fail(std::move(encoded.error()));
  return run_returning<InsertedAgenda>(
      *writer_, [&](Connection& db) { return insert_agenda_rows(db, *encoded); });
}

Result<AgendaRecord> PostgresStore::get_agenda(std::string_view id) {
  return read([&](Connection& db) -> Result<AgendaRecord> {
    auto rows =
        query(db, "SELECT " + std::string(kAgendaColumns) + " FROM agendas a WHERE a.id = $1",
              {std::string(id)});
    if (!rows) return fail(std::move(rows.error()));
    if (!*rows->step()) return fail(ErrorCode::kNotFound, "no agenda " + std::string(id));
    return reported(read_agenda_row(*rows));
  });
}

Result<Page<AgendaSummary>> PostgresStore::list_agendas(const AgendaQuery& request) {
  auto after = decode_sequence_cursor(request.cursor, 'a', 0);
  if (!after) return fail(std::move(after.error()));
  const std::size_t limit = clamp_page_limit(request.limit);
  // One more row than the page says whether more exist.
  auto [sql, parameters] = agenda_listing(request, *after, limit + 1);
  return read([&](Connection& db) -> Result<Page<AgendaSummary>> {
    auto rows = query(db, sql, parameters);
    if (!rows) return fail(std::move(rows.error()));
    return read_page<AgendaSummary>(
        *rows, limit, encode_sequence_cursor('a', *after),
        [](RowReader& row) { return read_summary_row(row); },
        [](RowReader& row) {
          return encode_sequence_cursor('a', row.column_int64(kSummarySequenceColumn));
        },
        warn_);
  });
}

Result<void> PostgresStore::delete_agenda(std::string_view id) {
  return writer_->run([&](Connection& db) -> Result<void> {
    // Progress, lease and idempotency key go with it (ON DELETE CASCADE).
    auto deleted = query(db, "DELETE FROM agendas WHERE id = $1", {std::string(id)});
    if (!deleted) return fail(std::move(deleted.error()));
    if (deleted->affected() == 0) return fail(ErrorCode::kNotFound, "no agenda " + std::string(id));
    return {};
  });
}

Result<std::vector<WaitingAgenda>> PostgresStore::list_waiting_agendas() {
  return read([&](Connection& db) -> Result<std::vector<WaitingAgenda>> {
    auto rows =
        query(db,
              "SELECT a.id, a.customer_id, a.insight_id, a.sequence, a.priority, a.added_ms, "
              "(l.holder IS NOT NULL)::int, p.state_message, a.resource_pool_id FROM progress p "
              "JOIN agendas a ON a.sequence = p.agenda_sequence "
              "LEFT JOIN leases l ON l.agenda_sequence = a.sequence "
              "WHERE p.processing_state = $1 ORDER BY a.sequence",
              {std::string(processing_state_name(ProcessingState::kWaiting))});
    if (!rows) return fail(std::move(rows.error()));
    std::vector<WaitingAgenda> waiting;
    while (*rows->step()) {
      waiting.push_back({std::string(rows->column_text(0)), std::string(rows->column_text(1)),
                         std::string(rows->column_text(2)), rows->column_int64(3),
                         static_cast<int>(rows->column_int64(4)),
                         from_millis(rows->column_int64(5)), rows->column_int64(6) != 0,
                         std::string(rows->column_text(7)), std::string(rows->column_text(8))});
    }
    return waiting;
  });
}

Result<ProgressRecord> PostgresStore::get_progress(std::string_view agenda_id) {
  return read([&](Connection& db) -> Result<ProgressRecord> {
    auto rows = query(db,
                      "SELECT " + std::string(kProgressColumns) +
                          " FROM agendas a JOIN progress p ON p.agenda_sequence = a.sequence "
                          "WHERE a.id = $1",
                      {std::string(agenda_id)});
    if (!rows) return fail(std::move(rows.error()));
    if (!*rows->step()) return fail(ErrorCode::kNotFound, "no agenda " + std::string(agenda_id));
    return reported(read_progress_row(*rows));
  });
}

namespace {

class ListenerWatch final : public Watch {
 public:
  ListenerWatch(::pop::postgres::ListenerOptions options, WatchCallbacks callbacks)
      : callbacks_(std::move(callbacks)),
        listener_(
            std::move(options),
            [this](const std::string& channel, const std::string& payload) {
              notified(channel, payload);
            },
            [this] {
              if (callbacks_.resync) callbacks_.resync();
            }) {}

 private:
  void notified(const std::string& channel, const std::string& payload) {
    if (channel == kWaitingChannel) {
      // A payload of only an id comes from a replica of a version before queue ownership.
      const auto newline = payload.find('\n');
      if (callbacks_.agenda_waiting)
        callbacks_.agenda_waiting(payload.substr(0, newline),
                                  newline == std::string::npos ? "" : payload.substr(newline + 1));
      return;
    }
    const auto slash = payload.find('/');
    if (channel != kDocumentChannel || slash == std::string::npos) return;
    auto kind = parse_document_kind(std::string_view(payload).substr(0, slash));
    if (kind && callbacks_.document_changed)
      callbacks_.document_changed(*kind, payload.substr(slash + 1));
  }

  const WatchCallbacks callbacks_;
  ::pop::postgres::Listener listener_;  // last: its thread calls back into the above
};

}  // namespace

std::unique_ptr<Watch> PostgresStore::watch(WatchCallbacks callbacks) {
  ::pop::postgres::ListenerOptions options;
  options.uri = options_.uri;
  options.password = options_.password;
  options.channels = {std::string(kWaitingChannel), std::string(kDocumentChannel)};
  options.resync_interval = options_.resync_interval;
  options.clock = options_.clock;
  return std::make_unique<ListenerWatch>(std::move(options), std::move(callbacks));
}

Result<void> PostgresStore::probe_write(WallTime now) {
  return writer_->run([&](Connection& db) -> Result<void> {
    auto written = query(db,
                         "INSERT INTO write_probe (id, written_ms) VALUES (1, $1) "
                         "ON CONFLICT (id) DO UPDATE SET written_ms = excluded.written_ms",
                         {parameter(to_millis(now))});
    if (!written) return fail(std::move(written.error()));
    return {};
  });
}

}  // namespace pop::store::postgres
