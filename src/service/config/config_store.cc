#include "service/config/config_store.h"

namespace pop::service {

Result<std::vector<store::DocumentRecord>> all_documents(store::Store& store,
                                                         store::DocumentKind kind) {
  std::vector<store::DocumentRecord> documents;
  store::DocumentQuery query{kind, std::nullopt, "", store::kMaxPageLimit};
  for (;;) {
    auto page = store.list_documents(query);
    if (!page) return fail(page.error());
    for (auto& record : page->items) documents.push_back(std::move(record));
    if (!page->more) return documents;
    query.cursor = page->next_cursor;
  }
}

}  // namespace pop::service
