#include "store/record_rows.h"

namespace pop::store {

std::string describe(DocumentKind kind, std::string_view id) {
  return std::string(document_kind_name(kind)) + " " + std::string(id);
}

Result<ProcessingState> stored_state(std::string_view text, const std::string& agenda_id) {
  auto state = parse_processing_state(text);
  if (!state) {
    return fail(ErrorCode::kInternal,
                "the stored progress of agenda " + agenda_id + " has an unknown state");
  }
  return *state;
}

Result<EncodedProgress> encode_progress(const ProgressRecord& record) {
  auto document = encode_json(record.document, "progress document");
  if (!document) return fail(std::move(document.error()));
  return EncodedProgress{&record, std::move(*document)};
}

Result<std::optional<EncodedProgress>> encode_progress(
    const std::optional<ProgressRecord>& record) {
  if (!record) return std::optional<EncodedProgress>();
  auto encoded = encode_progress(*record);
  if (!encoded) return fail(std::move(encoded.error()));
  return std::optional<EncodedProgress>(std::move(*encoded));
}

Result<EncodedNewAgenda> encode_new_agenda(const NewAgenda& request) {
  auto document = encode_json(request.agenda.document, "agenda document");
  if (!document) return fail(std::move(document.error()));
  auto progress = encode_progress(request.progress);
  if (!progress) return fail(std::move(progress.error()));
  std::optional<std::string> audit_details;
  if (request.audit) {
    auto encoded = encode_json(request.audit->details, "audit details");
    if (!encoded) return fail(std::move(encoded.error()));
    audit_details = std::move(*encoded);
  }
  return EncodedNewAgenda{&request, std::move(*document), std::move(*progress),
                          std::move(audit_details)};
}

LeaseRecord to_lease_record(std::string_view agenda_id, const LeaseRow& row) {
  LeaseRecord lease;
  lease.agenda_id = agenda_id;
  lease.epoch = row.epoch;
  if (row.holder) {
    lease.holder = *row.holder;
    lease.expires_at = from_millis(row.expires_ms.value_or(0));
  }
  return lease;
}

tl::unexpected<Error> lease_conflict(std::string_view agenda_id, const LeaseRow& row,
                                     std::uint64_t epoch) {
  std::string message = "lease epoch " + std::to_string(epoch) + " of agenda " +
                        std::string(agenda_id) + " is not held: ";
  if (row.epoch != epoch) {
    message += "the current epoch is " + std::to_string(row.epoch);
  } else {
    message += "it was released or reclaimed";
  }
  return fail(Error{ErrorCode::kConflict, std::move(message), {}});
}

tl::unexpected<Error> epoch_mismatch(std::string_view agenda_id, const LeaseRow& row,
                                     std::uint64_t expected_epoch) {
  return fail(Error{ErrorCode::kConflict,
                    "agenda " + std::string(agenda_id) + " has lease epoch " +
                        std::to_string(row.epoch) + ", not " + std::to_string(expected_epoch),
                    {}});
}

Result<void> waiting_quota(std::string_view customer_id, std::int64_t waiting, std::int64_t max) {
  if (waiting < max) return {};
  return fail(ErrorCode::kResourceExhausted,
              "customer \"" + std::string(customer_id) + "\" has " + std::to_string(waiting) +
                  " agendas waiting, its quota maxWaitingAgendas is " + std::to_string(max));
}

tl::unexpected<Error> pool_fence_lost(const PoolFence& fence) {
  return fail(Error{ErrorCode::kUnavailable,
                    "replica " + fence.owner + " no longer owns the queues of resource pool \"" +
                        fence.pool_id + "\" (fence " + std::to_string(fence.fence) +
                        "): another replica took them over",
                    {}});
}

}  // namespace pop::store
