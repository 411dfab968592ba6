#include "http/exchange.h"

#include <algorithm>

#include "http/error_response.h"

namespace pop::http::detail {

namespace {

HttpResponse internal_error(const std::string& correlation_id) {
  return error_response(Error{ErrorCode::kInternal, "internal error", {}}, correlation_id);
}

}  // namespace

Exchange::Exchange(std::string correlation_id, std::shared_ptr<Lifeline> lifeline,
                   std::weak_ptr<ExchangePort> port, std::size_t max_buffered_bytes)
    : correlation_id_(std::move(correlation_id)),
      lifeline_(std::move(lifeline)),
      port_(std::move(port)),
      max_buffered_bytes_(max_buffered_bytes) {}

// Callbacks and responses are moved into locals declared before the lock, so that they are
// destroyed after it is released: destroying a callback can destroy the last Responder,
// whose destructor calls back into this exchange.

bool Exchange::send(HttpResponse response) {
  std::function<void(CancelReason)> dropped;
  bool must_notify = false;
  {
    std::lock_guard lock(mu_);
    if (finished_ || phase_ != Phase::kPending) return false;
    phase_ = Phase::kResponded;
    output_.response = std::move(response);
    dropped = std::move(on_cancel_);
    must_notify = mark_ready_locked();
  }
  if (must_notify) notify();
  return true;
}

bool Exchange::start_stream(int status, Headers headers) {
  bool must_notify = false;
  {
    std::lock_guard lock(mu_);
    if (finished_ || phase_ != Phase::kPending) return false;
    phase_ = Phase::kStreaming;
    output_.stream_head = HttpResponse{status, std::move(headers), {}};
    must_notify = mark_ready_locked();
  }
  if (must_notify) notify();
  return true;
}

bool Exchange::write(std::string chunk) {
  bool must_notify = false;
  bool accepted = true;
  {
    std::lock_guard lock(mu_);
    if (finished_ || phase_ != Phase::kStreaming || aborted_) return false;
    if (chunk.empty()) return true;
    if (buffered_bytes_ + chunk.size() > max_buffered_bytes_) {
      // A consumer this far behind would make the server hold unbounded data; cutting it
      // off lets it reconnect and resynchronise, as watch clients are built to do.
      aborted_ = true;
      output_.abort = true;
      accepted = false;
    } else {
      buffered_bytes_ += chunk.size();
      output_.chunks.push_back(std::move(chunk));
    }
    must_notify = mark_ready_locked();
  }
  if (must_notify) notify();
  return accepted;
}

bool Exchange::end() {
  std::function<void(CancelReason)> dropped;
  bool must_notify = false;
  {
    std::lock_guard lock(mu_);
    if (finished_ || phase_ != Phase::kStreaming || aborted_) return false;
    phase_ = Phase::kEnded;
    output_.stream_end = true;
    dropped = std::move(on_cancel_);
    must_notify = mark_ready_locked();
  }
  if (must_notify) notify();
  return true;
}

void Exchange::abandon() {
  std::function<void(CancelReason)> dropped;
  bool must_notify = false;
  {
    std::lock_guard lock(mu_);
    if (finished_) return;
    if (phase_ == Phase::kPending) {
      phase_ = Phase::kResponded;
      output_.response = internal_error(correlation_id_);
      output_.abandoned = true;
    } else if (phase_ == Phase::kStreaming && !aborted_) {
      phase_ = Phase::kEnded;
      output_.stream_end = true;
    } else {
      return;
    }
    dropped = std::move(on_cancel_);
    must_notify = mark_ready_locked();
  }
  if (must_notify) notify();
}

std::optional<CancelReason> Exchange::cancel_reason() const {
  std::lock_guard lock(mu_);
  return cancel_reason_;
}

void Exchange::on_cancel(std::function<void(CancelReason)> callback) {
  std::function<void(CancelReason)> replaced;
  std::optional<CancelReason> run_now;
  {
    std::lock_guard lock(mu_);
    const bool complete = finished_ || phase_ == Phase::kResponded || phase_ == Phase::kEnded;
    if (complete) {
      replaced = std::move(callback);
    } else if (cancel_reason_) {
      run_now = cancel_reason_;
    } else {
      replaced = std::exchange(on_cancel_, std::move(callback));
    }
  }
  if (run_now && callback) callback(*run_now);
}

void Exchange::enter_handler() {
  std::lock_guard lock(mu_);
  in_handler_ = true;
}

bool Exchange::leave_handler() {
  std::lock_guard lock(mu_);
  in_handler_ = false;
  if (!has_output_locked()) return false;
  notify_pending_ = true;  // the caller collects now; producers need not notify meanwhile
  return true;
}

void Exchange::fail() {
  std::function<void(CancelReason)> dropped;
  bool must_notify = false;
  {
    std::lock_guard lock(mu_);
    if (finished_) return;
    if (phase_ == Phase::kPending) {
      phase_ = Phase::kResponded;
      output_.response = internal_error(correlation_id_);
      output_.handler_failed = true;
      dropped = std::move(on_cancel_);
    } else if (phase_ == Phase::kStreaming && !aborted_) {
      aborted_ = true;  // the callback stays: closing the connection cancels the exchange
      output_.abort = true;
    } else {
      return;
    }
    must_notify = mark_ready_locked();
  }
  if (must_notify) notify();
}

ExchangeOutput Exchange::take_output() {
  std::lock_guard lock(mu_);
  notify_pending_ = false;
  return std::exchange(output_, ExchangeOutput{});
}

void Exchange::release(std::size_t bytes) {
  std::lock_guard lock(mu_);
  buffered_bytes_ -= std::min(bytes, buffered_bytes_);
}

bool Exchange::cancel(CancelReason reason) { return cancel_and_maybe_finish(reason, false); }

void Exchange::finish() {
  std::function<void(CancelReason)> dropped;
  ExchangeOutput discarded;
  {
    std::lock_guard lock(mu_);
    finished_ = true;
    dropped = std::move(on_cancel_);
    discarded = std::exchange(output_, ExchangeOutput{});
  }
}

bool Exchange::close(CancelReason reason) { return cancel_and_maybe_finish(reason, true); }

bool Exchange::cancel_and_maybe_finish(CancelReason reason, bool finish) {
  std::function<void(CancelReason)> callback;
  ExchangeOutput discarded;
  {
    std::lock_guard lock(mu_);
    if (finished_) return true;
    const bool complete = phase_ == Phase::kResponded || phase_ == Phase::kEnded;
    if (!complete && !cancel_reason_) {
      cancel_reason_ = reason;
      callback = std::move(on_cancel_);
    }
    if (finish) {
      finished_ = true;
      on_cancel_ = nullptr;
      discarded = std::exchange(output_, ExchangeOutput{});
    }
  }
  if (!callback) return true;
  try {
    callback(reason);
  } catch (...) {
    return false;
  }
  return true;
}

bool Exchange::mark_ready_locked() {
  if (in_handler_ || notify_pending_) return false;
  notify_pending_ = true;
  return true;
}

bool Exchange::has_output_locked() const {
  return output_.response || output_.stream_head || !output_.chunks.empty() || output_.stream_end ||
         output_.abort;
}

void Exchange::notify() {
  if (!lifeline_) return;
  lifeline_->run_if_alive([this] {
    if (auto port = port_.lock()) port->notify();
  });
}

void Exchange::set_route(std::string route) {
  std::lock_guard lock(mu_);
  route_ = std::move(route);
}

std::string Exchange::route() const {
  std::lock_guard lock(mu_);
  return route_;
}

}  // namespace pop::http::detail
