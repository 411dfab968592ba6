// Private to server.cc (the only file that may include Boost.Beast): the body type requests
// are parsed into. Like Beast's string_body, except that memory is counted against the
// server's BodyBudget before it is allocated, as the bytes arrive, and that a declared
// Content-Length is not allocated up front (string_body reserves it whole, so a client
// declaring 64 MiB and sending nothing cost 64 MiB of address space, and the RSS of every
// byte it then sent).
#pragma once

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/optional.hpp>
#include <boost/system/errc.hpp>
#include <cstdint>
#include <string>

#include "http/body_budget.h"

namespace pop::http::detail {

struct BudgetedBody {
  struct value_type {
    std::string text;
    // Where the text's capacity is counted; null admits no byte. Owned by the connection,
    // which outlives the parse.
    BodyReservation* reservation = nullptr;
  };

  static std::uint64_t size(const value_type& body) { return body.text.size(); }

  // put() fails with this when the budget has no room left for the body.
  static boost::system::error_code out_of_budget() {
    return boost::system::errc::make_error_code(boost::system::errc::not_enough_memory);
  }

  class reader {
   public:
    template <bool isRequest, class Fields>
    reader(boost::beast::http::header<isRequest, Fields>&, value_type& body) : body_(body) {}

    void init(const boost::optional<std::uint64_t>& length, boost::beast::error_code& ec) {
      if (length) declared_ = *length;
      ec = {};
    }

    template <class ConstBufferSequence>
    std::size_t put(const ConstBufferSequence& buffers, boost::beast::error_code& ec) {
      std::string& text = body_.text;
      const std::size_t extra = boost::asio::buffer_size(buffers);
      const std::size_t needed = text.size() + extra;
      if (needed > text.capacity()) {
        // Geometric growth keeps copying linear; never past a declared length.
        std::size_t capacity = std::max({needed, text.capacity() * 2, kMinimumCapacity});
        if (declared_) capacity = std::max(needed, std::min<std::size_t>(capacity, *declared_));
        if (body_.reservation == nullptr || !body_.reservation->grow_to(capacity)) {
          ec = out_of_budget();
          return 0;
        }
        // Into a fresh string: reserve() on a non-empty one may round up to twice its
        // capacity, past what was counted.
        std::string grown;
        grown.reserve(capacity);
        grown.append(text);
        text.swap(grown);
      }
      for (auto buffer : boost::beast::buffers_range_ref(buffers)) {
        text.append(static_cast<const char*>(buffer.data()), buffer.size());
      }
      ec = {};
      return extra;
    }

    void finish(boost::beast::error_code& ec) { ec = {}; }

   private:
    static constexpr std::size_t kMinimumCapacity = 4096;
    value_type& body_;
    boost::optional<std::uint64_t> declared_;
  };
};

}  // namespace pop::http::detail
