#include "metrics/graphite.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <memory>

namespace pop::metrics {
namespace {

std::string cleaned(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f || c == ';' || c == '~' || c == '=') c = '_';
  }
  return out.empty() ? "_" : out;
}

std::string number(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", value);
  return text;
}

void line(std::string& out, const std::string& name,
          const std::vector<prometheus::ClientMetric::Label>& labels, const std::string* le,
          double value, std::int64_t unix_seconds) {
  out += cleaned(name);
  for (const auto& label : labels) out += ';' + cleaned(label.name) + '=' + cleaned(label.value);
  if (le != nullptr) out += ";le=" + cleaned(*le);
  out += ' ' + number(value) + ' ' + std::to_string(unix_seconds) + '\n';
}

}  // namespace

std::string graphite_lines(const Families& families, std::int64_t unix_seconds) {
  std::string out;
  for (const prometheus::MetricFamily& family : families) {
    for (const prometheus::ClientMetric& metric : family.metric) {
      switch (family.type) {
        case prometheus::MetricType::Counter:
          line(out, family.name, metric.label, nullptr, metric.counter.value, unix_seconds);
          break;
        case prometheus::MetricType::Gauge:
          line(out, family.name, metric.label, nullptr, metric.gauge.value, unix_seconds);
          break;
        case prometheus::MetricType::Histogram:
          for (const auto& bucket : metric.histogram.bucket) {
            const std::string le = number(bucket.upper_bound);
            line(out, family.name + "_bucket", metric.label, &le,
                 static_cast<double>(bucket.cumulative_count), unix_seconds);
          }
          line(out, family.name + "_sum", metric.label, nullptr, metric.histogram.sample_sum,
               unix_seconds);
          line(out, family.name + "_count", metric.label, nullptr,
               static_cast<double>(metric.histogram.sample_count), unix_seconds);
          break;
        case prometheus::MetricType::Summary:
          line(out, family.name + "_sum", metric.label, nullptr, metric.summary.sample_sum,
               unix_seconds);
          line(out, family.name + "_count", metric.label, nullptr,
               static_cast<double>(metric.summary.sample_count), unix_seconds);
          break;
        case prometheus::MetricType::Untyped:
          line(out, family.name, metric.label, nullptr, metric.untyped.value, unix_seconds);
          break;
      }
    }
  }
  return out;
}

GraphitePusher::GraphitePusher(const MetricsRegistry& registry, std::string host,
                               std::uint16_t port, std::chrono::milliseconds interval)
    : registry_(registry),
      host_(std::move(host)),
      port_(port),
      interval_(interval),
      thread_([this] { run(); }) {}

GraphitePusher::~GraphitePusher() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void GraphitePusher::run() {
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, interval_, [this] { return stopping_; })) {
    lock.unlock();
    (push_once() ? pushed_ : failed_).fetch_add(1);
    lock.lock();
  }
}

bool GraphitePusher::push_once() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const std::string text = graphite_lines(
      registry_.collect(), std::chrono::duration_cast<std::chrono::seconds>(now).count());
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host_.c_str(), std::to_string(port_).c_str(), &hints, &found) != 0) return false;
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> addresses(found, &freeaddrinfo);
  for (const addrinfo* address = found; address != nullptr; address = address->ai_next) {
    if (send_all(*address, text)) return true;
  }
  return false;
}

bool GraphitePusher::send_all(const addrinfo& address, const std::string& text) const {
  // Non-blocking, every wait bounded by the interval (at most 5 s): a Graphite that does not
  // answer delays the next push, never the server's stop.
  const int timeout_ms = static_cast<int>(
      std::min<std::chrono::milliseconds>(interval_, std::chrono::seconds(5)).count());
  const int fd = socket(address.ai_family, address.ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                        address.ai_protocol);
  if (fd < 0) return false;
  auto writable = [&] {
    pollfd waiting{fd, POLLOUT, 0};
    return poll(&waiting, 1, timeout_ms) == 1 && (waiting.revents & POLLOUT) != 0;
  };
  bool sent = connect(fd, address.ai_addr, address.ai_addrlen) == 0;
  if (!sent && errno == EINPROGRESS && writable()) {
    int error = 0;
    socklen_t size = sizeof error;
    sent = getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size) == 0 && error == 0;
  }
  for (std::size_t offset = 0; sent && offset < text.size();) {
    const ssize_t wrote = send(fd, text.data() + offset, text.size() - offset, MSG_NOSIGNAL);
    if (wrote > 0) {
      offset += static_cast<std::size_t>(wrote);
    } else if (wrote < 0 && errno == EAGAIN) {
      sent = writable();
    } else {
      sent = false;
    }
  }
  close(fd);
  return sent;
}

}  // namespace pop::metrics
