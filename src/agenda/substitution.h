// Replacing the tokens of one string within a size budget: the one step that makes resolved
// payloads and bound templates larger than what was submitted, shared by the executor's
// resolution (reference.h) and template binding (template_binding.h). The size of every
// value is charged to the budget before it is copied, so a document that would pass its
// limit is refused before it exists: "@<a.out>" 2,000 times over a 1 MB output stops at the
// second copy, not after 2 GB.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "util/json_size.h"
#include "util/result.h"

namespace pop {

class Substitution {
 public:
  // `text` is a string of the document that `budget` counts; both must outlive this object.
  Substitution(const std::string& text, JsonBudget& budget);

  // The whole string is `token`: the result is `value` itself (any JSON), copied once its
  // size is charged. kTooLarge, naming the token and the limit, when it does not fit.
  Result<nlohmann::json> whole(std::string_view token, const nlohmann::json& value);

  // The token at [begin, end) of the string becomes the text of `value`: a string verbatim,
  // a number or boolean as JSON, null as nothing. Tokens are embedded left to right.
  // kInvalidAgenda for an object or array (it cannot be embedded in a longer string),
  // kTooLarge as for whole().
  Result<void> embed(std::size_t begin, std::size_t end, std::string_view token,
                     const nlohmann::json& value);

  // The string with every embedded token replaced (the string as it was when none was),
  // charged to the budget. `last_token` names the refusal when escaping the new text takes
  // it past the limit. Call once, after the last embed().
  Result<nlohmann::json> finish(std::string_view last_token);

 private:
  tl::unexpected<Error> too_large(std::string_view token, JsonSize added) const;

  const std::string& text_;
  JsonBudget& budget_;
  const JsonSize removed_;  // what the string counted for in the budget
  std::string out_;
  std::size_t copied_ = 0;  // text_ before this offset is in out_ already
};

}  // namespace pop
