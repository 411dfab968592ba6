#include "model/output_budget.h"

#include <string>

namespace pop {

Result<void> check_output_size(const JsonSize& size, const JsonSize& limit) {
  if (size.bytes > limit.bytes) {
    return fail(ErrorCode::kTooLarge, "the output is " + std::to_string(size.bytes) +
                                          " bytes (serialised), over the limit of " +
                                          std::to_string(limit.bytes) + " bytes for one output");
  }
  if (size.values > limit.values) {
    return fail(ErrorCode::kTooLarge, "the output holds " + std::to_string(size.values) +
                                          " JSON values, over the limit of " +
                                          std::to_string(limit.values) + " for one output");
  }
  return {};
}

OutputBudget::OutputBudget(const ExecutionLimits& limits, std::size_t operations)
    : per_output_(limits.output), total_(limits.outputs), sizes_(operations) {}

Result<void> OutputBudget::admit(std::size_t index, const nlohmann::json& output) {
  const JsonSize size = json_size(output);
  if (auto alone = check_output_size(size, per_output_); !alone) return alone;
  if (!total_.replace(sizes_[index], size)) {
    return fail(ErrorCode::kResourceExhausted, "the output (" + std::to_string(size.bytes) +
                                                   " bytes) would take the agenda's outputs past " +
                                                   total_.passed_limit(sizes_[index], size) +
                                                   " for all outputs of an agenda");
  }
  sizes_[index] = size;
  return {};
}

}  // namespace pop
