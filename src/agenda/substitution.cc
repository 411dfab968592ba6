#include "agenda/substitution.h"

#include <utility>

#include "agenda/reference.h"

namespace pop {

Substitution::Substitution(const std::string& text, JsonBudget& budget)
    : text_(text), budget_(budget), removed_(json_string_size(text)) {}

tl::unexpected<Error> Substitution::too_large(std::string_view token, JsonSize added) const {
  return fail(ErrorCode::kTooLarge, "reference " + quote_token(token) + ": the result would pass " +
                                        budget_.passed_limit(removed_, added));
}

Result<Json> Substitution::whole(std::string_view token, const Json& value) {
  const JsonSize added = json_size(value);
  if (!budget_.replace(removed_, added)) return too_large(token, added);
  return value;
}

Result<void> Substitution::embed(std::size_t begin, std::size_t end, std::string_view token,
                                 const Json& value) {
  if (value.is_structured()) {
    return fail(ErrorCode::kInvalidAgenda, "reference " + quote_token(token) + ": yields an " +
                                               value.type_name() +
                                               ", which cannot be embedded in a longer string");
  }
  // The raw length is a lower bound of the serialised one: checked before appending, it
  // keeps the text under construction within the limit. Scalars other than strings are a
  // few bytes, checked with the whole string in finish().
  const std::size_t piece = value.is_string() ? value.get_ref<const std::string&>().size() : 0;
  const JsonSize lower_bound{out_.size() + (begin - copied_) + piece + 2, 1};
  if (!budget_.fits(removed_, lower_bound)) return too_large(token, lower_bound);
  out_.append(text_, copied_, begin - copied_);
  if (value.is_string()) {
    out_ += value.get_ref<const std::string&>();
  } else if (!value.is_null()) {
    out_ += value.dump();
  }
  copied_ = end;
  return {};
}

Result<Json> Substitution::finish(std::string_view last_token) {
  if (copied_ == 0) return Json(text_);
  out_.append(text_, copied_);
  Json result(std::move(out_));
  const JsonSize added = json_size(result);
  if (!budget_.replace(removed_, added)) return too_large(last_token, added);
  return result;
}

}  // namespace pop
