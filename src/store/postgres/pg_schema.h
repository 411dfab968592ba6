// The PostgreSQL store's schema, as migrations (postgres/pg_migrations.h).
#pragma once

#include <span>

#include "postgres/pg_migrations.h"

namespace pop::store::postgres {

std::span<const ::pop::postgres::Migration> builtin_migrations();

}  // namespace pop::store::postgres
