// HTTP header fields as an ordered list with case-insensitive names (RFC 9110 §5.1), shared
// by requests and responses so that handlers never see the transport library's types.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pop::http {

// True when a and b are equal ignoring ASCII case.
bool iequals(std::string_view a, std::string_view b);

// A value type; not synchronised (one thread at a time, like any standard container).
class Headers {
 public:
  using Field = std::pair<std::string, std::string>;

  // The first value of `name`, or nullopt. The view lives as long as the field is unchanged.
  std::optional<std::string_view> get(std::string_view name) const;
  bool contains(std::string_view name) const { return get(name).has_value(); }
  // Replaces every field called `name` by one field (keeping the position of the first).
  void set(std::string_view name, std::string value);
  // Appends a field, keeping any existing ones of the same name (e.g. Set-Cookie).
  void add(std::string name, std::string value);
  // Removes every field called `name`.
  void remove(std::string_view name);

  // Fields in the order they were received or added.
  const std::vector<Field>& fields() const { return fields_; }
  std::size_t size() const { return fields_.size(); }
  bool empty() const { return fields_.empty(); }

 private:
  std::vector<Field> fields_;
};

}  // namespace pop::http
