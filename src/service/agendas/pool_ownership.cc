#include "service/agendas/pool_ownership.h"

#include <utility>

namespace pop::service {

bool PoolOwnership::owns(std::string_view pool_id) const {
  if (!shared()) return true;
  std::lock_guard lock(mutex_);
  return owned_.contains(pool_id);
}

std::optional<store::PoolFence> PoolOwnership::fence(std::string_view pool_id) const {
  if (!shared()) return std::nullopt;
  std::lock_guard lock(mutex_);
  auto it = owned_.find(pool_id);
  if (it == owned_.end()) return std::nullopt;
  return store::PoolFence{it->first, replica_id_, it->second};
}

std::map<std::string, std::uint64_t> PoolOwnership::owned() const {
  std::lock_guard lock(mutex_);
  return {owned_.begin(), owned_.end()};
}

std::optional<std::string> PoolOwnership::owner_address(std::string_view pool_id) const {
  std::lock_guard lock(mutex_);
  if (owned_.contains(pool_id)) return std::nullopt;
  auto it = others_.find(pool_id);
  if (it == others_.end()) return std::nullopt;
  return it->second;
}

void PoolOwnership::gain(const std::string& pool_id, std::uint64_t fence) {
  std::lock_guard lock(mutex_);
  owned_[pool_id] = fence;
  others_.erase(pool_id);
}

void PoolOwnership::lose(std::string_view pool_id) {
  std::lock_guard lock(mutex_);
  if (auto it = owned_.find(pool_id); it != owned_.end()) owned_.erase(it);
}

void PoolOwnership::set_others(std::map<std::string, std::string> addresses) {
  std::lock_guard lock(mutex_);
  others_ = {std::make_move_iterator(addresses.begin()), std::make_move_iterator(addresses.end())};
  for (const auto& [pool_id, fence] : owned_) others_.erase(pool_id);
}

}  // namespace pop::service
