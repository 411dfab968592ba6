// The memory that request bodies being read may take, across every connection of a server:
// one budget, reserved as a body's bytes arrive (whatever its framing) and given back when
// the request is done with, so that many slow or large bodies at once cannot exhaust memory.
#pragma once

#include <atomic>
#include <cstddef>

namespace pop::http {

class BodyBudget {
 public:
  // `capacity_bytes`: how much may be reserved at once, in total.
  explicit BodyBudget(std::size_t capacity_bytes) : capacity_(capacity_bytes) {}
  BodyBudget(const BodyBudget&) = delete;
  BodyBudget& operator=(const BodyBudget&) = delete;

  // Takes `bytes` when they fit beside what is already reserved; false (and nothing taken)
  // otherwise. Thread-safe.
  bool try_reserve(std::size_t bytes);
  // Gives back `bytes` taken by try_reserve. Thread-safe.
  void release(std::size_t bytes);

  std::size_t capacity() const { return capacity_; }
  std::size_t reserved() const { return reserved_.load(); }

 private:
  const std::size_t capacity_;
  std::atomic<std::size_t> reserved_{0};
};

// One request's share of a BodyBudget: grows with its body and is given back whole when
// released or destroyed. Move-only; not synchronised (one request, one thread at a time).
class BodyReservation {
 public:
  BodyReservation() = default;  // reserves nothing; grow_to() fails beyond 0 bytes
  explicit BodyReservation(BodyBudget& budget) : budget_(&budget) {}
  BodyReservation(BodyReservation&& other) noexcept;
  BodyReservation& operator=(BodyReservation&& other) noexcept;
  BodyReservation(const BodyReservation&) = delete;
  BodyReservation& operator=(const BodyReservation&) = delete;
  ~BodyReservation() { release(); }

  // Holds at least `total_bytes`, reserving the difference; false (holding what it held)
  // when the budget cannot give it.
  bool grow_to(std::size_t total_bytes);
  // Gives everything back.
  void release();

  std::size_t bytes() const { return bytes_; }

 private:
  BodyBudget* budget_ = nullptr;
  std::size_t bytes_ = 0;
};

}  // namespace pop::http
