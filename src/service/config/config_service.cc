#include "service/config/config_service.h"

#include "agenda/template_binding.h"
#include "service/config/config_store.h"
#include "service/config/template_instance.h"
#include "util/json_fields.h"
#include "util/random_id.h"
#include "util/time_format.h"

namespace pop::service {
namespace {

using store::DocumentKind;

std::string kind_label(DocumentKind kind) {
  switch (kind) {
    case DocumentKind::kResourcePool:
      return "resource pool";
    case DocumentKind::kInsight:
      return "insight";
    case DocumentKind::kCustomer:
      return "customer";
    case DocumentKind::kAgendaTemplate:
      return "agenda template";
    default:  // not configuration: the routes never ask for these
      break;
  }
  return "document";
}

std::string quoted(std::string_view kind, std::string_view id) {
  return std::string(kind) + " \"" + std::string(id) + "\"";
}

// The store's errors in the API's words; others pass as they are.
Error reworded(Error error, DocumentKind kind, std::string_view id) {
  if (error.code == ErrorCode::kNotFound) error.message = "no " + quoted(kind_label(kind), id);
  if (error.code == ErrorCode::kConflict && error.message.ends_with(" exists"))
    error.message = quoted(kind_label(kind), id) + " already exists";
  return error;
}

}  // namespace

Error missing_document(DocumentKind kind, std::string_view id) {
  return reworded(Error{ErrorCode::kNotFound, "", {}}, kind, id);
}

namespace {

tl::unexpected<Error> invalid(const std::string& kind, const std::string& problem) {
  return fail(kInvalidDocument, kind + " is invalid: 1 problem", {problem});
}

// The id a document is stored under: the path's on replace (a body id must agree), else
// the body's, else a new one.
Result<std::string> settle_id(DocumentKind kind, const std::string& body_id,
                              std::string_view path_id) {
  if (!path_id.empty()) {
    if (!body_id.empty() && body_id != path_id) {
      return invalid(kind_label(kind), "id: \"" + body_id + "\" does not match the id in the path");
    }
    return std::string(path_id);
  }
  std::string id = body_id.empty() ? random_uuid() : body_id;
  if (auto usable = check_document_id(id); !usable)
    return invalid(kind_label(kind), usable.error().message);
  return id;
}

// "a", "b" and 3 more: names in messages stay short whatever the count.
std::string some_names(const std::vector<std::string>& ids) {
  constexpr std::size_t kShown = 5;
  std::string out;
  for (std::size_t i = 0; i < ids.size() && i < kShown; ++i)
    out += (i == 0 ? "\"" : ", \"") + ids[i] + "\"";
  if (ids.size() > kShown) out += " and " + std::to_string(ids.size() - kShown) + " more";
  return out;
}

}  // namespace

ConfigService::ConfigService(store::Store& store, scheduler::InsightQueues& queues,
                             TypeKnown type_known, const Clock& clock, ConfigOptions options)
    : store_(store),
      queues_(queues),
      type_known_(std::move(type_known)),
      clock_(clock),
      options_(std::move(options)) {}

Result<ConfigDocument> ConfigService::create(const Caller& caller, DocumentKind kind,
                                             const Json& body) {
  std::lock_guard lock(mutex_);
  auto prepared = prepare(caller, kind, "", body, std::nullopt);
  if (!prepared) return fail(prepared.error());
  const WallTime now = clock_.now();
  store::DocumentRecord record{kind,
                               prepared->document["id"].get<std::string>(),
                               prepared->owner,
                               0,
                               now,
                               now,
                               prepared->document};
  auto version = store_.create_document(record);
  if (!version) return fail(reworded(version.error(), kind, record.id));
  record.version = *version;
  apply(kind, *prepared);
  return shown(record);
}

Result<ConfigDocument> ConfigService::get(DocumentKind kind, std::string_view id) {
  auto record = store_.get_document(kind, id);
  if (!record) return fail(reworded(record.error(), kind, id));
  return shown(*record);
}

Result<ConfigPage> ConfigService::list(DocumentKind kind, const std::string& cursor,
                                       std::size_t limit) {
  auto page = store_.list_documents({kind, std::nullopt, cursor, limit});
  if (!page) return fail(page.error());
  ConfigPage out;
  for (const auto& record : page->items) out.items.push_back(shown(record).document);
  if (page->more) out.next_cursor = page->next_cursor;
  return out;
}

Result<ConfigDocument> ConfigService::replace(const Caller& caller, DocumentKind kind,
                                              std::string_view id, const Json& body,
                                              std::optional<std::int64_t> expected_version) {
  std::lock_guard lock(mutex_);
  auto stored = store_.get_document(kind, id);
  if (!stored) return fail(reworded(stored.error(), kind, id));
  if (expected_version && *expected_version != stored->version) {
    return fail(ErrorCode::kConflict, quoted(kind_label(kind), id) + " is at version " +
                                          std::to_string(stored->version) + ", not " +
                                          std::to_string(*expected_version));
  }
  auto prepared = prepare(caller, kind, std::string(id), body, *stored);
  if (!prepared) return fail(prepared.error());
  store::DocumentRecord record{
      kind,         std::string(id),   prepared->owner, 0, stored->added_time,
      clock_.now(), prepared->document};
  auto version = store_.update_document(record, stored->version);
  if (!version) return fail(reworded(version.error(), kind, id));
  record.version = *version;
  apply(kind, *prepared);
  return shown(record);
}

Result<void> ConfigService::remove(DocumentKind kind, std::string_view id) {
  std::lock_guard lock(mutex_);
  if (kind == DocumentKind::kResourcePool) return remove_pool(id);
  if (kind == DocumentKind::kInsight) return remove_insight(id);
  if (auto removed = store_.delete_document(kind, id, std::nullopt); !removed)
    return fail(reworded(removed.error(), kind, id));
  if (kind == DocumentKind::kCustomer) reweigh();
  return {};
}

Result<AgendaTemplate> ConfigService::agenda_template(std::string_view id) {
  auto record = store_.get_document(DocumentKind::kAgendaTemplate, id);
  if (!record) return fail(reworded(record.error(), DocumentKind::kAgendaTemplate, id));
  auto read = agenda_template_from_json(record->document);
  if (!read) {
    return fail(ErrorCode::kInternal, "stored agenda template \"" + std::string(id) +
                                          "\" is unreadable: " + read.error().message);
  }
  return read;
}

Result<ConfigService::Prepared> ConfigService::prepare(
    const Caller& caller, DocumentKind kind, std::string id, const Json& body,
    const std::optional<store::DocumentRecord>& stored) {
  // A customerId left out names the caller on create and keeps the owner on replace.
  const std::string default_owner = stored ? stored->owner_customer_id : caller.customer_id;
  switch (kind) {
    case DocumentKind::kResourcePool: {
      auto pool = resource_pool_from_json(body);
      if (!pool) return fail(pool.error());
      auto settled = settle_id(kind, pool->id, id);
      if (!settled) return fail(settled.error());
      pool->id = *settled;
      return Prepared{resource_pool_to_json(*pool), "", std::nullopt};
    }
    case DocumentKind::kCustomer: {
      auto customer = customer_from_json(body);
      if (!customer) return fail(customer.error());
      auto settled = settle_id(kind, customer->id, id);
      if (!settled) return fail(settled.error());
      customer->id = *settled;
      if (!customer->resource_pool_id.empty()) {
        if (auto exists = check_pool_exists(customer->resource_pool_id, "customer"); !exists)
          return fail(exists.error());
      }
      return Prepared{customer_to_json(*customer), customer->id, std::nullopt};
    }
    case DocumentKind::kInsight: {
      auto insight = insight_document_from_json(body);
      if (!insight) return fail(insight.error());
      auto settled = settle_id(kind, insight->id, id);
      if (!settled) return fail(settled.error());
      insight->id = *settled;
      if (insight->customer_id.empty()) insight->customer_id = default_owner;
      if (auto exists = check_pool_exists(insight->resource_pool_id, "insight"); !exists)
        return fail(exists.error());
      if (insight->id == options_.default_resource_pool &&
          insight->resource_pool_id != options_.default_resource_pool) {
        return invalid("insight", "resourcePoolId: the catch-all insight of the default pool \"" +
                                      options_.default_resource_pool + "\" cannot leave it");
      }
      return Prepared{scheduler::insight_to_json(*insight), insight->customer_id, *insight};
    }
    case DocumentKind::kAgendaTemplate: {
      auto agenda_template = agenda_template_from_json(body);
      if (!agenda_template) return fail(agenda_template.error());
      auto settled = settle_id(kind, agenda_template->id, id);
      if (!settled) return fail(settled.error());
      agenda_template->id = *settled;
      if (agenda_template->customer_id.empty()) agenda_template->customer_id = default_owner;
      if (auto valid = check_template_agenda(*agenda_template); !valid) return fail(valid.error());
      return Prepared{agenda_template_to_json(*agenda_template), agenda_template->customer_id,
                      std::nullopt};
    }
    default:
      break;
  }
  return fail(ErrorCode::kInternal, "not a configuration document kind");
}

Result<void> ConfigService::check_pool_exists(std::string_view pool_id, std::string_view kind) {
  auto pool = store_.get_document(DocumentKind::kResourcePool, pool_id);
  if (pool) return {};
  if (pool.error().code != ErrorCode::kNotFound) return fail(pool.error());
  return invalid(std::string(kind),
                 "resourcePoolId: no resource pool \"" + std::string(pool_id) + "\"");
}

Result<void> ConfigService::check_template_agenda(const AgendaTemplate& agenda_template) {
  if (auto literal = check_literal_names_and_types(agenda_template.agenda); !literal) {
    Error error = std::move(literal.error());
    for (auto& line : error.details) line.insert(0, "agenda: ");
    return fail(kInvalidDocument,
                "agenda template is invalid: " + std::to_string(error.details.size()) +
                    (error.details.size() == 1 ? " problem" : " problems"),
                std::move(error.details));
  }
  auto agenda = instantiate_template(agenda_template, {}, true, options_.limits);
  if (!agenda && agenda.error().code == ErrorCode::kTooLarge) return fail(agenda.error());
  if (!agenda) return invalid("agenda template", "agenda: " + agenda.error().message);
  auto loaded = load_agenda_document(std::move(*agenda), type_known_, options_.limits);
  if (loaded) return {};
  Error error = std::move(loaded.error());
  if (error.code != ErrorCode::kInvalidAgenda) return fail(std::move(error));
  if (error.details.empty()) error.details.push_back(error.message);
  for (auto& line : error.details) line.insert(0, "agenda (bound with a null payload): ");
  error.code = kInvalidDocument;
  error.message = "agenda template is invalid: " + std::to_string(error.details.size()) +
                  (error.details.size() == 1 ? " problem" : " problems");
  return fail(std::move(error));
}

void ConfigService::apply(DocumentKind kind, const Prepared& prepared) {
  if (kind == DocumentKind::kInsight) {
    // As stored, not as prepared: another server may have replaced it since, and its change
    // may have reached this one first.
    if (auto configured = reload(kind, prepared.insight->id); !configured) {
      // The store holds the insight; the next start queues it as stored.
      options_.logger->error(
          "insight stored but its queue not updated",
          {{"insight", prepared.insight->id}, {"error", configured.error().message}});
    }
  } else if (kind == DocumentKind::kCustomer) {
    reweigh();
  }
}

Result<void> ConfigService::reload(DocumentKind kind, const std::string& id) {
  // Reading and configuring under one lock: two reloads of one insight cannot apply the
  // older version last.
  std::lock_guard lock(reload_mutex_);
  if (kind == DocumentKind::kCustomer) {
    reweigh();
    return {};
  }
  if (kind != DocumentKind::kInsight) return {};
  auto stored = store_.get_document(DocumentKind::kInsight, id);
  if (!stored) {
    if (stored.error().code != ErrorCode::kNotFound) return fail(stored.error());
    queues_.remove_insight_if_idle(id);
    return {};
  }
  auto insight = scheduler::insight_from_json(stored->document);
  if (!insight) return fail(insight.error());
  return configure(*insight);
}

Result<void> ConfigService::reload_all() {
  std::lock_guard lock(reload_mutex_);
  auto stored = all_documents(store_, DocumentKind::kInsight);
  if (!stored) return fail(stored.error());
  std::set<std::string> kept;
  Result<void> outcome;
  for (const auto& record : *stored) {
    kept.insert(record.id);
    auto insight = scheduler::insight_from_json(record.document);
    auto configured = insight ? configure(*insight) : Result<void>(fail(insight.error()));
    if (!configured && outcome) outcome = configured;
  }
  for (const scheduler::Insight& insight : queues_.insights()) {
    if (!kept.contains(insight.id)) queues_.remove_insight_if_idle(insight.id);
  }
  reweigh();
  return outcome;
}

Result<void> ConfigService::configure(const scheduler::Insight& insight) {
  auto weights = load_customer_weights(store_);
  if (!weights) return fail(weights.error());
  return queues_.configure(insight, queue_config(insight, *weights), clock_.now());
}

void ConfigService::reweigh() {
  auto weights = load_customer_weights(store_);
  for (const scheduler::Insight& insight : queues_.insights()) {
    if (!uses_customer_weights(insight)) continue;
    auto configured =
        weights ? queues_.configure(insight, queue_config(insight, *weights), clock_.now())
                : Result<void>(fail(weights.error()));
    if (!configured) {
      options_.logger->error("new customer weights not applied to an insight",
                             {{"insight", insight.id}, {"error", configured.error().message}});
    }
  }
}

Result<void> ConfigService::remove_pool(std::string_view id) {
  if (id == options_.default_resource_pool)
    return fail(ErrorCode::kConflict, "the default resource pool cannot be deleted");
  if (auto pool = store_.get_document(DocumentKind::kResourcePool, id); !pool)
    return fail(reworded(pool.error(), DocumentKind::kResourcePool, id));
  std::vector<std::string> details;
  for (DocumentKind user : {DocumentKind::kInsight, DocumentKind::kCustomer}) {
    auto documents = all_documents(store_, user);
    if (!documents) return fail(documents.error());
    std::vector<std::string> ids;
    for (const auto& record : *documents) {
      if (string_field(record.document, "resourcePoolId") == id) ids.push_back(record.id);
    }
    if (!ids.empty()) details.push_back(kind_label(user) + "s using it: " + some_names(ids));
  }
  if (!details.empty()) {
    return fail(ErrorCode::kConflict,
                quoted("resource pool", id) + " is in use; move or delete these first",
                std::move(details));
  }
  if (auto removed = store_.delete_document(DocumentKind::kResourcePool, id, std::nullopt);
      !removed)
    return fail(reworded(removed.error(), DocumentKind::kResourcePool, id));
  return {};
}

Result<void> ConfigService::remove_insight(std::string_view id) {
  if (id == options_.default_resource_pool) {
    return fail(ErrorCode::kConflict,
                "the catch-all insight of the default pool cannot be deleted");
  }
  auto stored = store_.get_document(DocumentKind::kInsight, id);
  if (!stored) return fail(reworded(stored.error(), DocumentKind::kInsight, id));
  if (const std::size_t held = queues_.remove_insight_if_idle(id); held > 0) {
    return fail(ErrorCode::kConflict, quoted("insight", id) + " still holds " +
                                          std::to_string(held) +
                                          " waiting agendas; cancel them or let them run first");
  }
  // Its queue is gone, so no agenda can be bound to it now; but agendas already bound and
  // out of the queue (executing, handed to a puller, held) would come back to no queue.
  auto unfinished = unfinished_agendas(id);
  Result<void> removed;
  if (!unfinished) {
    removed = fail(unfinished.error());
  } else if (*unfinished > 0) {
    removed = fail(ErrorCode::kConflict,
                   quoted("insight", id) + " has " + std::to_string(*unfinished) +
                       " agendas that have not completed (executing, handed to a puller or "
                       "held); cancel them or let them finish first");
  } else {
    removed = store_.delete_document(DocumentKind::kInsight, id, std::nullopt);
  }
  if (removed) return {};
  if (auto insight = scheduler::insight_from_json(stored->document); insight) {
    if (auto restored = configure(*insight); !restored) {
      options_.logger->error("insight kept but not queued again",
                             {{"insight", std::string(id)}, {"error", restored.error().message}});
    }
  }
  return fail(reworded(removed.error(), DocumentKind::kInsight, id));
}

Result<std::size_t> ConfigService::unfinished_agendas(std::string_view insight_id) {
  std::size_t count = 0;
  for (ProcessingState state : {ProcessingState::kWaiting, ProcessingState::kExecuting}) {
    store::AgendaQuery query;
    query.processing_state = state;
    query.insight_id = std::string(insight_id);
    query.limit = store::kMaxPageLimit;
    for (;;) {
      auto page = store_.list_agendas(query);
      if (!page) return fail(page.error());
      count += page->items.size();
      if (!page->more) break;
      query.cursor = page->next_cursor;
    }
  }
  return count;
}

ConfigDocument ConfigService::shown(const store::DocumentRecord& record) const {
  Json document = record.document;
  document["version"] = record.version;
  document["addedTime"] = format_time(record.added_time);
  document["updatedTime"] = format_time(record.updated_time);
  if (record.kind == DocumentKind::kResourcePool)
    document["insightIds"] = queues_.insights_of_pool(record.id);
  return {std::move(document), record.version};
}

}  // namespace pop::service
