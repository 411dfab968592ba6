#include "service/config/config_documents.h"

#include <algorithm>
#include <initializer_list>

#include "agenda/template_binding.h"
#include "scheduler/algorithm_config.h"
#include "scheduler/number_text.h"
#include "service/config/config_algorithm.h"

namespace pop::service {
namespace {

constexpr std::size_t kMaxIdBytes = 256;
constexpr std::int64_t kMaxQuota = 1000000000;
constexpr std::size_t kMaxNamespaceBytes = 63;
constexpr std::string_view kServerFields[] = {"version", "addedTime", "updatedTime"};

bool server_field(std::string_view key) {
  return std::find(std::begin(kServerFields), std::end(kServerFields), key) !=
         std::end(kServerFields);
}

// Succeeds when there is no problem; else one error listing them all.
Result<void> verdict(const std::string& kind, const std::vector<std::string>& problems) {
  if (problems.empty()) return {};
  const std::size_t count = problems.size();
  return fail(
      kInvalidDocument,
      kind + " is invalid: " + std::to_string(count) + (count == 1 ? " problem" : " problems"),
      problems);
}

// Reads the fields of one document, noting a problem for each bad one instead of stopping,
// so that one answer can list them all.
class FieldReader {
 public:
  FieldReader(const Json& document, std::initializer_list<std::string_view> known)
      : document_(document) {
    if (!document.is_object()) {
      problems_.push_back("the document must be a JSON object");
      return;
    }
    for (const auto& [key, value] : document.items()) {
      if (!server_field(key) && std::find(known.begin(), known.end(), key) == known.end())
        problem(key, "unknown field");
    }
  }

  // The field's value; nullptr when it is absent or null.
  const Json* find(std::string_view key) const {
    if (!document_.is_object()) return nullptr;
    auto it = document_.find(key);
    return it == document_.end() || it->is_null() ? nullptr : &*it;
  }

  std::string text(std::string_view key) {
    const Json* value = find(key);
    if (value == nullptr) return "";
    if (!value->is_string()) {
      problem(key, "must be a string");
      return "";
    }
    return value->get<std::string>();
  }

  bool flag(std::string_view key) {
    const Json* value = find(key);
    if (value == nullptr) return false;
    if (!value->is_boolean()) {
      problem(key, "must be true or false");
      return false;
    }
    return value->get<bool>();
  }

  std::vector<std::string> texts(std::string_view key) {
    const Json* value = find(key);
    std::vector<std::string> out;
    if (value == nullptr) return out;
    const bool strings =
        value->is_array() &&
        std::all_of(value->begin(), value->end(), [](const Json& v) { return v.is_string(); });
    if (!strings) {
      problem(key, "must be an array of strings");
      return out;
    }
    for (const auto& item : *value) out.push_back(item.get<std::string>());
    return out;
  }

  Json object(std::string_view key) {
    const Json* value = find(key);
    if (value == nullptr) return Json::object();
    if (!value->is_object()) {
      problem(key, "must be an object");
      return Json::object();
    }
    return *value;
  }

  std::optional<std::int64_t> quota(std::string_view key) {
    const Json* value = find(key);
    if (value == nullptr) return std::nullopt;
    if (!value->is_number_integer() || value->get<double>() < 0 ||
        value->get<double>() > static_cast<double>(kMaxQuota)) {
      problem(key, "must be an integer from 0 to " + std::to_string(kMaxQuota) +
                       " (or null for no limit)");
      return std::nullopt;
    }
    return value->get<std::int64_t>();
  }

  void problem(std::string_view field, const std::string& reason) {
    problems_.push_back(std::string(field) + ": " + reason);
  }
  // A problem whose text already names the field.
  void problem(std::string line) { problems_.push_back(std::move(line)); }

  Result<void> result(const std::string& kind) const { return verdict(kind, problems_); }

 private:
  const Json& document_;
  std::vector<std::string> problems_;
};

bool dns_label(std::string_view name) {
  const auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  return !name.empty() && name.size() <= kMaxNamespaceBytes && alnum(name.front()) &&
         alnum(name.back()) &&
         std::all_of(name.begin(), name.end(), [&](char c) { return alnum(c) || c == '-'; });
}

}  // namespace

Result<void> check_document_id(std::string_view id) {
  const auto invalid = [](const std::string& reason) {
    return fail(kInvalidDocument, "id: " + reason);
  };
  if (id.empty()) return invalid("must not be empty");
  if (id.size() > kMaxIdBytes) {
    return invalid("is " + std::to_string(id.size()) + " bytes long, over the limit of " +
                   std::to_string(kMaxIdBytes));
  }
  if (std::any_of(id.begin(), id.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }) ||
      id.find('/') != std::string_view::npos) {
    return invalid("must not contain control characters or \"/\"");
  }
  return {};
}

Result<ResourcePool> resource_pool_from_json(const Json& document) {
  // insightIds is what GET computes from the insights; it is not stored.
  FieldReader reader(document, {"id", "title", "insightIds"});
  ResourcePool pool;
  pool.id = reader.text("id");
  pool.title = reader.text("title");
  if (auto read = reader.result("resource pool"); !read) return fail(read.error());
  return pool;
}

Json resource_pool_to_json(const ResourcePool& pool) {
  return {{"id", pool.id}, {"title", pool.title}};
}

Result<Customer> customer_from_json(const Json& document) {
  FieldReader reader(document, {"id", "title", "billingCode", "resourcePoolId", "weight",
                                "maxWaitingAgendas", "maxRunningAgendas", "kubernetesNamespace"});
  Customer customer;
  customer.id = reader.text("id");
  customer.title = reader.text("title");
  customer.billing_code = reader.text("billingCode");
  customer.resource_pool_id = reader.text("resourcePoolId");
  if (const Json* weight = reader.find("weight")) {
    // Written so that NaN fails too; the bounds are the scheduler's.
    if (weight->is_number() && weight->get<double>() >= scheduler::kMinimumWeight &&
        weight->get<double>() <= scheduler::kMaximumWeight) {
      customer.weight = weight->get<double>();
    } else {
      reader.problem("weight", "must be a number from " +
                                   scheduler::number_text(scheduler::kMinimumWeight) + " to " +
                                   scheduler::number_text(scheduler::kMaximumWeight));
    }
  }
  customer.max_waiting_agendas = reader.quota("maxWaitingAgendas");
  customer.max_running_agendas = reader.quota("maxRunningAgendas");
  customer.kubernetes_namespace = reader.text("kubernetesNamespace");
  if (!customer.kubernetes_namespace.empty() && !dns_label(customer.kubernetes_namespace)) {
    reader.problem("kubernetesNamespace",
                   "must be a Kubernetes namespace name: at most 63 characters of a-z, 0-9 and "
                   "'-', starting and ending with a letter or digit");
  }
  if (auto read = reader.result("customer"); !read) return fail(read.error());
  return customer;
}

Json customer_to_json(const Customer& customer) {
  const auto quota = [](const std::optional<std::int64_t>& limit) {
    return limit ? Json(*limit) : Json(nullptr);
  };
  return {{"id", customer.id},
          {"title", customer.title},
          {"billingCode", customer.billing_code},
          {"resourcePoolId", customer.resource_pool_id},
          {"weight", customer.weight},
          {"maxWaitingAgendas", quota(customer.max_waiting_agendas)},
          {"maxRunningAgendas", quota(customer.max_running_agendas)},
          {"kubernetesNamespace", customer.kubernetes_namespace}};
}

Result<AgendaTemplate> agenda_template_from_json(const Json& document) {
  FieldReader reader(document, {"id", "title", "customerId", "staticParameters", "params", "agenda",
                                "isDefaultTemplate", "isGlobal", "allowedCustomerIds"});
  AgendaTemplate result;
  result.id = reader.text("id");
  result.title = reader.text("title");
  result.customer_id = reader.text("customerId");
  result.static_parameters = reader.object("staticParameters");
  for (const auto& [name, value] : result.static_parameters.items()) {
    if (auto usable = check_static_parameter_name(name); !usable)
      reader.problem(usable.error().message);
  }
  result.params = reader.object("params");
  if (const Json* agenda = reader.find("agenda"); agenda == nullptr) {
    reader.problem("agenda", "is required");
  } else if (!agenda->is_object()) {
    reader.problem("agenda", "must be an object (an agenda with @<...> tokens)");
  } else {
    result.agenda = *agenda;
  }
  result.is_default_template = reader.flag("isDefaultTemplate");
  result.is_global = reader.flag("isGlobal");
  result.allowed_customer_ids = reader.texts("allowedCustomerIds");
  if (auto read = reader.result("agenda template"); !read) return fail(read.error());
  return result;
}

Json agenda_template_to_json(const AgendaTemplate& agenda_template) {
  return {{"id", agenda_template.id},
          {"title", agenda_template.title},
          {"customerId", agenda_template.customer_id},
          {"staticParameters", agenda_template.static_parameters},
          {"params", agenda_template.params},
          {"agenda", agenda_template.agenda},
          {"isDefaultTemplate", agenda_template.is_default_template},
          {"isGlobal", agenda_template.is_global},
          {"allowedCustomerIds", agenda_template.allowed_customer_ids}};
}

Result<scheduler::Insight> insight_document_from_json(const Json& document) {
  Json body = document;
  if (body.is_object()) {
    for (std::string_view field : kServerFields) body.erase(std::string(field));
  }
  auto insight = scheduler::insight_from_json(body);
  if (!insight) return fail(verdict("insight", {insight.error().message}).error());
  std::vector<std::string> problems = scheduling_problems(*insight);
  if (insight->resource_pool_id.empty())
    problems.insert(problems.begin(), "resourcePoolId: is required");
  if (auto read = verdict("insight", problems); !read) return fail(read.error());
  return insight;
}

bool visible_to(const AgendaTemplate& agenda_template, std::string_view customer_id) {
  return agenda_template.is_global || agenda_template.customer_id == customer_id ||
         std::find(agenda_template.allowed_customer_ids.begin(),
                   agenda_template.allowed_customer_ids.end(),
                   customer_id) != agenda_template.allowed_customer_ids.end();
}

}  // namespace pop::service
