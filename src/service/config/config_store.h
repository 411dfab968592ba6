// Reading configuration documents from the store beyond one page.
#pragma once

#include <vector>

#include "store/store.h"

namespace pop::service {

// Every document of `kind`, in id order, read page by page. Errors are the store's. Meant
// for configuration, whose documents number in the thousands at most.
Result<std::vector<store::DocumentRecord>> all_documents(store::Store& store,
                                                         store::DocumentKind kind);

}  // namespace pop::service
