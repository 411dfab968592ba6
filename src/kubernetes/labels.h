// The names and labels POP puts on the Pods it creates. Kubernetes restricts both (a label
// value is at most 63 characters of [A-Za-z0-9._-], alphanumeric at both ends; a Pod name
// that doubles as a host name is a DNS-1123 label), while POP's ids and operation names are
// free text: these make any text fit, and keep distinct texts distinct.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace pop::kubernetes {

namespace label {
inline constexpr char kManagedBy[] = "app.kubernetes.io/managed-by";
inline constexpr char kManagedByPop[] = "pop";
inline constexpr char kRunnerInstance[] = "pop.runnerInstance";
inline constexpr char kAgendaId[] = "pop.agendaId";
inline constexpr char kOperationName[] = "pop.operationName";
inline constexpr char kCustomerId[] = "pop.customerId";
inline constexpr char kResourcePoolId[] = "pop.resourcePoolId";
inline constexpr char kInsightId[] = "pop.insightId";
inline constexpr char kOperationType[] = "pop.operationType";
inline constexpr char kAttempt[] = "pop.attempt";
}  // namespace label

inline constexpr std::size_t kMaxLabelValueBytes = 63;
inline constexpr std::size_t kMaxDnsLabelBytes = 63;

bool is_valid_label_value(std::string_view value);

// `value` itself when it is a valid label value; otherwise its valid characters (others
// become '_'), trimmed to start and end alphanumeric, shortened, and followed by "-" and
// eight hex digits of its SHA-256, so two different values never share a label. The exact
// value belongs in an annotation.
std::string label_value(std::string_view value);

// `text` lower-cased with every run of characters outside [a-z0-9] turned into one '-',
// trimmed of '-' at both ends, and cut to `max_bytes` (then trimmed again). May be empty.
std::string dns_label_part(std::string_view text, std::size_t max_bytes);

// A selector matching labels `key`=`value` pairs: "k1=v1,k2=v2".
std::string selector(std::initializer_list<std::pair<std::string_view, std::string_view>> pairs);

}  // namespace pop::kubernetes
