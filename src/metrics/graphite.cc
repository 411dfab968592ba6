#include "metrics/graphite.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
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
      auto totals = [&](double sum, std::uint64_t count) {
        line(out, family.name + "_sum", metric.label, nullptr, sum, unix_seconds);
        line(out, family.name + "_count", metric.label, nullptr, static_cast<double>(count),
             unix_seconds);
      };
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
          totals(metric.histogram.sample_sum, metric.histogram.sample_count);
          break;
        case prometheus::MetricType::Summary:
          totals(metric.summary.sample_sum, metric.summary.sample_count);
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
                               std::uint16_t port, std::chrono::milliseconds interval,
                               Logger& logger)
    : registry_(registry),
      host_(std::move(host)),
      port_(port),
      interval_(interval),
      logger_(logger),
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
  const std::string where = host_ + ":" + std::to_string(port_);
  bool working = true;  // as far as anyone was told
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, interval_, [this] { return stopping_; })) {
    lock.unlock();
    const std::string failure = push_once();
    (failure.empty() ? pushed_ : failed_).fetch_add(1);
    if (failure.empty() != working) {
      working = failure.empty();
      if (working) {
        logger_.info("pushing the metrics to Graphite again", {{"graphite", where}});
      } else {
        logger_.warning("cannot push the metrics to Graphite; trying again at every interval",
                        {{"graphite", where}, {"error", failure}});
      }
    }
    lock.lock();
  }
}

std::string GraphitePusher::push_once() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const std::string text = graphite_lines(
      registry_.collect(), std::chrono::duration_cast<std::chrono::seconds>(now).count());
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (const int error = getaddrinfo(host_.c_str(), std::to_string(port_).c_str(), &hints, &found);
      error != 0)
    return "cannot resolve " + host_ + ": " + gai_strerror(error);
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> addresses(found, &freeaddrinfo);
  int error = 0;
  for (const addrinfo* address = found; address != nullptr; address = address->ai_next) {
    error = send_all(*address, text);
    if (error == 0) return {};
  }
  return std::string("cannot connect or send: ") + std::strerror(error);
}

int GraphitePusher::send_all(const addrinfo& address, const std::string& text) const {
  // Non-blocking, every wait bounded by the interval (at most 5 s): a Graphite that does not
  // answer delays the next push, never the server's stop.
  const int timeout_ms = static_cast<int>(
      std::min<std::chrono::milliseconds>(interval_, std::chrono::seconds(5)).count());
  const int fd = socket(address.ai_family, address.ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                        address.ai_protocol);
  if (fd < 0) return errno;
  // 0 once the socket takes more, else why not (ETIMEDOUT when it did not in time).
  auto writable = [&]() -> int {
    pollfd waiting{fd, POLLOUT, 0};
    const int ready = poll(&waiting, 1, timeout_ms);
    if (ready < 0) return errno;
    return ready == 1 ? 0 : ETIMEDOUT;
  };
  int error = connect(fd, address.ai_addr, address.ai_addrlen) == 0 ? 0 : errno;
  if (error == EINPROGRESS) {
    error = writable();
    socklen_t size = sizeof error;
    if (error == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size) != 0) error = errno;
  }
  for (std::size_t offset = 0; error == 0 && offset < text.size();) {
    const ssize_t wrote = send(fd, text.data() + offset, text.size() - offset, MSG_NOSIGNAL);
    if (wrote > 0) {
      offset += static_cast<std::size_t>(wrote);
    } else {
      error = wrote < 0 ? errno : EPIPE;
      if (error == EAGAIN) error = writable();
    }
  }
  close(fd);
  return error;
}

}  // namespace pop::metrics
