#include "store/postgres/pg_schema.h"

#include <array>

namespace pop::store::postgres {
namespace {

// The same tables as the SQLite store's (store/sqlite/sqlite_migrations.cc), with what only
// several writers on one database need:
// - Sequences come from a row of `counters`, not from a SEQUENCE: the row stays locked until
//   the inserting transaction commits, so sequences commit in order and a listing can never
//   show an agenda (or audit record) behind one it already showed (store.h, list_agendas).
//   A SEQUENCE hands out numbers in the order transactions start, not commit.
// - Ids compare and sort bytewise (COLLATE "C"), as SQLite does, whatever the database's
//   collation: listings in id order and their cursors then agree on every database.
// - Documents are text, not jsonb: the store keeps what it is given, key order and all.
constexpr std::string_view kVersion1 = R"sql(
CREATE TABLE counters (
  name text PRIMARY KEY,
  value bigint NOT NULL
);
INSERT INTO counters (name, value) VALUES ('agenda', 0), ('audit', 0);

CREATE TABLE agendas (
  sequence bigint PRIMARY KEY,
  id text COLLATE "C" NOT NULL UNIQUE,
  customer_id text COLLATE "C" NOT NULL,
  resource_pool_id text COLLATE "C" NOT NULL,
  insight_id text COLLATE "C" NOT NULL,
  link_id text COLLATE "C" NOT NULL,
  title text NOT NULL,
  priority integer NOT NULL,
  added_ms bigint NOT NULL,
  updated_ms bigint NOT NULL,
  document text NOT NULL
);
CREATE INDEX agendas_by_customer ON agendas (customer_id, sequence);
CREATE INDEX agendas_by_link ON agendas (link_id, sequence) WHERE link_id <> '';

CREATE TABLE progress (
  agenda_sequence bigint PRIMARY KEY REFERENCES agendas (sequence) ON DELETE CASCADE,
  processing_state text NOT NULL,
  state_message text NOT NULL,
  attempts_completed integer NOT NULL,
  maximum_attempts integer NOT NULL,
  percent_complete double precision NOT NULL,
  updated_ms bigint NOT NULL,
  document text NOT NULL
);
CREATE INDEX progress_by_state ON progress (processing_state, agenda_sequence);

-- Unlike SQLite's, a row exists from the agenda's insert (epoch 0), so that find_lease can lock
-- it with the agenda's: in READ COMMITTED a statement that waited for a row lock re-reads only
-- the rows it locks, and a lease joined without a lock would be read as it was before the
-- other transaction committed. It keeps the epoch after release so that epochs never go back.
-- holder and expires_ms are NULL while nobody holds the lease.
CREATE TABLE leases (
  agenda_sequence bigint PRIMARY KEY REFERENCES agendas (sequence) ON DELETE CASCADE,
  epoch bigint NOT NULL,
  holder text,
  expires_ms bigint
);
CREATE INDEX leases_by_expiry ON leases (expires_ms) WHERE holder IS NOT NULL;

CREATE TABLE idempotency_keys (
  customer_id text COLLATE "C" NOT NULL,
  key text COLLATE "C" NOT NULL,
  agenda_sequence bigint NOT NULL REFERENCES agendas (sequence) ON DELETE CASCADE,
  PRIMARY KEY (customer_id, key)
);
CREATE INDEX idempotency_keys_by_agenda ON idempotency_keys (agenda_sequence);

CREATE TABLE documents (
  kind text COLLATE "C" NOT NULL,
  id text COLLATE "C" NOT NULL,
  owner_customer_id text COLLATE "C" NOT NULL,
  version bigint NOT NULL,
  added_ms bigint NOT NULL,
  updated_ms bigint NOT NULL,
  document text NOT NULL,
  PRIMARY KEY (kind, id)
);
CREATE INDEX documents_by_owner ON documents (kind, owner_customer_id, id);

CREATE TABLE audit_log (
  sequence bigint PRIMARY KEY,
  time_ms bigint NOT NULL,
  actor text COLLATE "C" NOT NULL,
  action text NOT NULL,
  target text COLLATE "C" NOT NULL,
  outcome text NOT NULL,
  details text NOT NULL
);
CREATE INDEX audit_log_by_actor ON audit_log (actor, sequence);
CREATE INDEX audit_log_by_target ON audit_log (target, sequence);

-- One row that Store::probe_write rewrites: readiness is whether such a write commits.
CREATE TABLE write_probe (
  id integer PRIMARY KEY CHECK (id = 1),
  written_ms bigint NOT NULL
);
)sql";

// Queue ownership between replicas (store/pool_claims.h). Times are in milliseconds of the
// database's clock.
constexpr std::string_view kVersion2 = R"sql(
CREATE FUNCTION pop_now_ms() RETURNS bigint
  LANGUAGE sql VOLATILE AS $$ SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint $$;
CREATE TABLE pool_claims (
  pool_id text COLLATE "C" PRIMARY KEY,
  owner text NOT NULL,
  address text NOT NULL,
  fence bigint NOT NULL,
  expires_ms bigint NOT NULL
);
CREATE TABLE replicas (
  id text COLLATE "C" PRIMARY KEY,
  address text NOT NULL,
  expires_ms bigint NOT NULL
);
)sql";

// Each attempt's log (store.h, "Attempt logs"), as in the SQLite store: a state row per
// attempt and its chunks, compressed by the caller and kept as base64url text.
constexpr std::string_view kVersion3 = R"sql(
CREATE TABLE attempt_logs (
  agenda_sequence bigint NOT NULL REFERENCES agendas (sequence) ON DELETE CASCADE,
  operation text COLLATE "C" NOT NULL,
  attempt integer NOT NULL,
  epoch bigint NOT NULL,
  length bigint NOT NULL,
  kept_bytes bigint NOT NULL,
  ended integer NOT NULL,  -- 0 or 1, as in SQLite
  updated_ms bigint NOT NULL,
  PRIMARY KEY (agenda_sequence, operation, attempt)
);
CREATE INDEX attempt_logs_by_update ON attempt_logs (updated_ms);

CREATE TABLE attempt_log_chunks (
  agenda_sequence bigint NOT NULL,
  operation text COLLATE "C" NOT NULL,
  attempt integer NOT NULL,
  start_offset bigint NOT NULL,
  kept_bytes bigint NOT NULL,
  data text NOT NULL,
  PRIMARY KEY (agenda_sequence, operation, attempt, start_offset),
  FOREIGN KEY (agenda_sequence, operation, attempt)
    REFERENCES attempt_logs (agenda_sequence, operation, attempt) ON DELETE CASCADE
);
)sql";

constexpr std::array<::pop::postgres::Migration, 3> kMigrations{{
    {1, "agendas, progress, leases, idempotency keys, documents, audit log, write probe",
     kVersion1},
    {2, "claims on the resource pools' queues, live replicas", kVersion2},
    {3, "attempt logs", kVersion3},
}};

}  // namespace

std::span<const ::pop::postgres::Migration> builtin_migrations() { return kMigrations; }

}  // namespace pop::store::postgres
