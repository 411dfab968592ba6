// The server's configuration, without HTTP: create, read, list, replace and delete resource
// pools, insights, customers and agenda templates, with the rules that tie them together,
// and their effect on scheduling at once (no restart):
// - an insight's and a customer's resourcePoolId must name an existing pool;
// - a pool that insights or customers use cannot be deleted, nor can the default pool and
//   its catch-all insight, nor an insight that agendas still wait in or run from;
// - a stored insight is (re)configured in the queues at once (algorithm, queueSize, pool),
//   and a deleted one leaves them; a customer's weight reaches every weightedFair insight;
// - a template's agenda must be valid once bound (checked with a null payload).
//
// Ordering rule, as in AgendaService: the store is written first and the queues changed
// only after the write succeeded, so a crash in between leaves the store authoritative and
// AgendaService::start() rebuilds the queues from it. The one exception is deleting an
// insight, which first takes its queue away if it is idle (so no agenda can be bound to it
// meanwhile) and puts it back if the deletion is refused or fails; a crash in between
// leaves the insight stored, and the restart queues it again.
//
// Thread-safety: every member may be called concurrently; writes are serialised by one
// mutex, so the checks of the rules above and the writes they guard do not interleave
// (within this server process: replicas sharing one database would need the checks inside
// the store's transaction).
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "agenda/agenda_validator.h"
#include "scheduler/queues/insight_queues.h"
#include "service/config/config_algorithm.h"
#include "service/config/config_documents.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/logger.h"

namespace pop::service {

// Who writes a document, as far as the rules of documents care (config_access.h applies
// who may write at all): the owner a new insight or template gets when it names none.
struct Caller {
  std::string customer_id;
};

// The kNotFound error of a missing document, which an invisible one answers too.
Error missing_document(store::DocumentKind kind, std::string_view id);

struct ConfigOptions {
  std::string default_resource_pool = "default";  // also the id of its catch-all insight
  AgendaLimits limits;                            // for the agendas of templates
  Logger* logger = &null_logger();                // borrowed: what could not be done
};

// A document as the API shows it: the stored document plus `version`, `addedTime` and
// `updatedTime` (and a pool's `insightIds`).
struct ConfigDocument {
  Json document;
  std::int64_t version = 0;
};

struct ConfigPage {
  std::vector<Json> items;                 // as in ConfigDocument
  std::optional<std::string> next_cursor;  // set when more documents follow
};

class ConfigService {
 public:
  // Borrows everything; all must outlive the service. `type_known` checks the operation
  // types of template agendas.
  ConfigService(store::Store& store, scheduler::InsightQueues& queues, TypeKnown type_known,
                const Clock& clock, ConfigOptions options);

  // Stores a new document; its id is taken from the body or generated (a UUID). The
  // caller owns new insights and templates that name no customerId.
  // kInvalidDocument (one detail per problem) for an invalid document or a missing pool,
  // kConflict when the id exists, kUnavailable when the store refuses.
  Result<ConfigDocument> create(const Caller& caller, store::DocumentKind kind, const Json& body);

  // kNotFound for an unknown id.
  Result<ConfigDocument> get(store::DocumentKind kind, std::string_view id);

  // Up to `limit` documents (clamped to 1..1000) in id order, after `cursor` (empty: from
  // the start). kInvalidArgument for a cursor the server did not issue.
  Result<ConfigPage> list(store::DocumentKind kind, const std::string& cursor, std::size_t limit);

  // Replaces the document `id` (a body id must match it; a body without customerId keeps
  // the stored owner). With `expected_version` set, only at that version.
  // kConflict exactly when the stored version is not the expected one (another write won);
  // kNotFound for an unknown id; kInvalidDocument as for create(), also for moving the
  // default pool's catch-all insight to another pool.
  Result<ConfigDocument> replace(const Caller& caller, store::DocumentKind kind,
                                 std::string_view id, const Json& body,
                                 std::optional<std::int64_t> expected_version);

  // kConflict, naming what stands in the way, for the default pool and insight, a pool in
  // use and an insight with agendas; kNotFound for an unknown id.
  Result<void> remove(store::DocumentKind kind, std::string_view id);

  // Another server sharing the store changed the document (store::Store::watch): brings the
  // queues up to date with it as stored. An insight is configured again, or its queue
  // dropped when it is gone (and idle); a customer's change reweighs the insights.
  Result<void> reload(store::DocumentKind kind, const std::string& id);
  // reload() of every insight and customer: after changes may have been missed.
  Result<void> reload_all();

  // The stored template, for running it. kNotFound for an unknown id.
  Result<AgendaTemplate> agenda_template(std::string_view id);
  // What the agendas of templates are held to, bound or not.
  const AgendaLimits& agenda_limits() const { return options_.limits; }

 private:
  struct Prepared {
    Json document;      // what is stored
    std::string owner;  // the store's owner column
    std::optional<scheduler::Insight> insight;
  };

  // Validates `body` as a `kind` document with id `id` and applies the rules that need the
  // store. REQUIRES: mutex_ held.
  Result<Prepared> prepare(const Caller& caller, store::DocumentKind kind, std::string id,
                           const Json& body, const std::optional<store::DocumentRecord>& stored);
  // kInvalidDocument, for a `kind` document, when the pool does not exist.
  Result<void> check_pool_exists(std::string_view pool_id, std::string_view kind);
  Result<void> check_template_agenda(const AgendaTemplate& agenda_template);
  // The live effect of a stored document. REQUIRES: mutex_ held.
  void apply(store::DocumentKind kind, const Prepared& prepared);
  Result<void> remove_pool(std::string_view id);
  Result<void> remove_insight(std::string_view id);
  // Non-completed agendas bound to the insight, which would be stranded without it.
  Result<std::size_t> unfinished_agendas(std::string_view insight_id);
  // Configures the queue of every weightedFair insight with the stored weights.
  void reweigh();
  Result<void> configure(const scheduler::Insight& insight);
  ConfigDocument shown(const store::DocumentRecord& record) const;

  store::Store& store_;
  scheduler::InsightQueues& queues_;
  TypeKnown type_known_;
  const Clock& clock_;
  ConfigOptions options_;
  std::mutex mutex_;         // serialises writes with the checks they depend on
  std::mutex reload_mutex_;  // serialises reading a document back with configuring from it
};

}  // namespace pop::service
