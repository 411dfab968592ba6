// The PostgreSQL store: the shared conformance suite on a private PostgreSQL 15, then what only
// this implementation promises (several stores on one database, reconnecting, retries).
#include "store/postgres/postgres_store.h"

#include <gtest/gtest.h>

#include <memory>

#include "store/conformance/store_conformance.h"
#include "testing/postgres_cluster.h"

namespace pop::store::postgres {

// Each test gets a private cluster, removed afterwards.
class PostgresHarness {
 public:
  Result<std::unique_ptr<Store>> open() {
    PostgresStoreOptions options;
    options.uri = cluster_.uri();
    auto store = PostgresStore::open(options);
    if (!store) return fail(std::move(store.error()));
    return std::unique_ptr<Store>(std::move(*store));
  }

 private:
  ::pop::testing::PostgresCluster cluster_;
};

}  // namespace pop::store::postgres

POP_INSTANTIATE_STORE_CONFORMANCE(Postgres, ::pop::store::postgres::PostgresHarness);
