#include "http/body_budget.h"

#include <utility>

namespace pop::http {

bool BodyBudget::try_reserve(std::size_t bytes) {
  std::size_t reserved = reserved_.load();
  do {
    if (bytes > capacity_ - reserved) return false;
  } while (!reserved_.compare_exchange_weak(reserved, reserved + bytes));
  return true;
}

void BodyBudget::release(std::size_t bytes) { reserved_.fetch_sub(bytes); }

BodyReservation::BodyReservation(BodyReservation&& other) noexcept
    : budget_(std::exchange(other.budget_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}

BodyReservation& BodyReservation::operator=(BodyReservation&& other) noexcept {
  if (this != &other) {
    release();
    budget_ = std::exchange(other.budget_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

bool BodyReservation::grow_to(std::size_t total_bytes) {
  if (total_bytes <= bytes_) return true;
  if (budget_ == nullptr || !budget_->try_reserve(total_bytes - bytes_)) return false;
  bytes_ = total_bytes;
  return true;
}

void BodyReservation::release() {
  if (budget_ != nullptr && bytes_ > 0) budget_->release(bytes_);
  bytes_ = 0;
}

}  // namespace pop::http
