#include "http/responder.h"

#include "http/exchange.h"

namespace pop::http {

// The last copy of a Responder going away is how an exchange learns that the handler will
// never answer; an Owner shared by all copies turns that into one abandon() call.
struct Responder::Owner {
  explicit Owner(std::shared_ptr<detail::Exchange> e) : exchange(std::move(e)) {}
  Owner(const Owner&) = delete;
  Owner& operator=(const Owner&) = delete;
  ~Owner() { exchange->abandon(); }

  const std::shared_ptr<detail::Exchange> exchange;
};

Responder::Responder(std::shared_ptr<detail::Exchange> exchange)
    : owner_(std::make_shared<Owner>(std::move(exchange))) {}

const std::string& Responder::correlation_id() const { return owner_->exchange->correlation_id(); }

bool Responder::send(HttpResponse response) { return owner_->exchange->send(std::move(response)); }

bool Responder::start_stream(int status, Headers headers) {
  return owner_->exchange->start_stream(status, std::move(headers));
}

bool Responder::write(std::string chunk) { return owner_->exchange->write(std::move(chunk)); }

bool Responder::end() { return owner_->exchange->end(); }

std::optional<CancelReason> Responder::cancel_reason() const {
  return owner_->exchange->cancel_reason();
}

void Responder::on_cancel(std::function<void(CancelReason)> callback) {
  owner_->exchange->on_cancel(std::move(callback));
}

}  // namespace pop::http
