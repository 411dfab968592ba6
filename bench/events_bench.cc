// The event stream under load: a real `pop server` process with N clients of GET /v1/events
// (default 1,000), each on a connection of its own, all read by one thread of this program
// (epoll), while agendas of four sample operations are submitted and run by the embedded
// puller. Prints: the connections held, the server's threads and resident memory with 0 and
// with N clients (idle, and after the load), the events published and delivered per second,
// and the delivery latency (the event's time to its arrival at a client, on the same machine;
// millisecond resolution) at p50 and p99, sampled over the first 50 clients.
//
//   build/bench_events [--clients N] [--seconds S] [--dir PATH]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "server_process.h"
#include "util/time_format.h"
#include "util/unique_fd.h"

using Json = nlohmann::json;
using pop::bench::BenchFailure;
using pop::bench::ServerProcess;

namespace {

constexpr std::size_t kSampledClients = 50;  // whose events' latency is measured
const std::string kAgenda = R"({"operations": [
    {"name": "top", "type": "sample", "payload": {"resultPayload": 1}},
    {"name": "left", "type": "sample", "payload": {"resultPayload": "@<top.out>"}},
    {"name": "right", "type": "sample", "payload": {"resultPayload": 2}},
    {"name": "join", "type": "sample", "payload": {"resultPayload": ["@<left.out>", "@<right.out>"]}}]})";

struct Reader {
  pop::UniqueFd socket;
  std::string pending;  // bytes after the last newline
  bool opened = false;  // the stream's first block arrived
  std::size_t events = 0;
};

// N clients of the stream on one epoll loop.
class StreamClients {
 public:
  StreamClients(std::uint16_t port, const std::string& token, std::size_t count)
      : epoll_(epoll_create1(EPOLL_CLOEXEC)) {
    if (!epoll_) throw BenchFailure("epoll_create1 failed");
    const std::string request =
        "GET /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token +
        "\r\nAccept: text/event-stream\r\n\r\n";
    readers_.resize(count);
    for (std::size_t i = 0; i < count; ++i) {
      Reader& reader = readers_[i];
      reader.socket = pop::UniqueFd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_port = htons(port);
      address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (!reader.socket ||
          connect(reader.socket.get(), reinterpret_cast<const sockaddr*>(&address),
                  sizeof address) != 0 ||
          send(reader.socket.get(), request.data(), request.size(), MSG_NOSIGNAL) !=
              static_cast<ssize_t>(request.size()))
        throw BenchFailure("cannot open stream " + std::to_string(i) + ": " + std::strerror(errno));
      epoll_event event{};
      event.events = EPOLLIN;
      event.data.u64 = i;
      epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, reader.socket.get(), &event);
    }
    thread_ = std::thread([this] { read_all(); });
  }
  ~StreamClients() {
    stop_ = true;
    thread_.join();
  }

  std::size_t opened() const { return opened_; }
  std::size_t events() const { return events_; }
  std::size_t closed() const { return closed_; }
  // Delivery latencies in ms, sorted; only after the clients stopped reading.
  std::vector<double> latencies() {
    std::lock_guard lock(latency_mutex_);
    std::sort(latencies_.begin(), latencies_.end());
    return latencies_;
  }

 private:
  void read_all() {
    std::vector<epoll_event> ready(256);
    char buffer[65536];
    while (!stop_) {
      const int count = epoll_wait(epoll_.get(), ready.data(), static_cast<int>(ready.size()), 100);
      for (int i = 0; i < count; ++i) {
        const std::size_t index = ready[static_cast<std::size_t>(i)].data.u64;
        Reader& reader = readers_[index];
        const ssize_t got = recv(reader.socket.get(), buffer, sizeof buffer, 0);
        if (got <= 0) {
          epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, reader.socket.get(), nullptr);
          ++closed_;
          continue;
        }
        const auto now = std::chrono::system_clock::now();
        reader.pending.append(buffer, static_cast<std::size_t>(got));
        std::size_t start = 0;
        for (std::size_t end; (end = reader.pending.find('\n', start)) != std::string::npos;
             start = end + 1) {
          const std::string_view line(reader.pending.data() + start, end - start);
          if (!reader.opened && line.starts_with("retry:")) {
            reader.opened = true;
            ++opened_;
          } else if (line.starts_with("event: ")) {
            ++events_;
          } else if (index < kSampledClients && line.starts_with("data: ")) {
            // Each server write is one chunk of whole events: a data line is never split.
            const Json data = Json::parse(line.substr(6), nullptr, false);
            auto time = pop::parse_time(data.value("time", Json()));
            if (time) {
              std::lock_guard lock(latency_mutex_);
              latencies_.push_back(std::chrono::duration<double, std::milli>(now - *time).count());
            }
          }
        }
        reader.pending.erase(0, start);
      }
    }
  }

  pop::UniqueFd epoll_;
  std::vector<Reader> readers_;
  std::atomic<bool> stop_{false};
  std::atomic<std::size_t> opened_{0};
  std::atomic<std::size_t> events_{0};
  std::atomic<std::size_t> closed_{0};
  std::mutex latency_mutex_;
  std::vector<double> latencies_;
  std::thread thread_;
};

double percentile(const std::vector<double>& sorted, double fraction) {
  if (sorted.empty()) return 0;
  return sorted[static_cast<std::size_t>(fraction * static_cast<double>(sorted.size() - 1))];
}

void print_process(const char* when, const ServerProcess& server) {
  std::printf("%-34s threads %4ld   RSS %7.1f MiB\n", when,
              pop::testing::thread_count(server.pid()),
              static_cast<double>(server.rss_bytes()) / (1 << 20));
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t clients = 1000;
  double seconds = 10;
  std::filesystem::path parent = std::filesystem::temp_directory_path();
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--clients")
      clients = std::stoul(argv[i + 1]);
    else if (flag == "--seconds")
      seconds = std::stod(argv[i + 1]);
    else if (flag == "--dir")
      parent = argv[i + 1];
  }
  // This program holds one descriptor per client.
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
  try {
    const std::string many = std::to_string(clients + 100);
    ServerProcess server(
        parent, {"--capacity", "8", "--max-connections-per-address", many, "--max-event-streams",
                 many, "--max-event-streams-per-caller", many});
    std::this_thread::sleep_for(std::chrono::seconds(1));
    print_process("0 clients", server);
    StreamClients streams(static_cast<std::uint16_t>(std::stoi(
                              server.base_url().substr(server.base_url().rfind(':') + 1))),
                          server.token(), clients);
    const auto open_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (streams.opened() < clients && std::chrono::steady_clock::now() < open_deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::printf("connections held                   %zu of %zu\n", streams.opened(), clients);
    print_process((std::to_string(clients) + " clients, idle").c_str(), server);

    // Submits for `seconds` from 4 threads while the embedded puller runs the agendas.
    std::atomic<bool> stop{false};
    std::atomic<std::size_t> submitted{0};
    std::vector<std::thread> submitters;
    for (int t = 0; t < 4; ++t) {
      submitters.emplace_back([&] {
        auto client = server.client();
        while (!stop) {
          auto answer = client.request("POST", "/v1/agendas", kAgenda,
                                       {{"Content-Type", "application/json"}});
          if (answer && answer->status == 201) ++submitted;
          // Paced: the point is the stream's cost, not the drain's.
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
      });
    }
    const std::size_t events_before = streams.events();
    const auto start = std::chrono::steady_clock::now();
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    stop = true;
    for (auto& thread : submitters) thread.join();
    // Let what was published reach the clients.
    std::this_thread::sleep_for(std::chrono::seconds(3));
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const std::size_t delivered = streams.events() - events_before;
    print_process((std::to_string(clients) + " clients, after the load").c_str(), server);
    const std::vector<double> latencies = streams.latencies();
    std::printf("agendas submitted                  %zu in %.0f s\n", submitted.load(), seconds);
    std::printf("events delivered                   %zu (%.0f/s; %.0f published/s)\n", delivered,
                static_cast<double>(delivered) / elapsed,
                static_cast<double>(delivered) / elapsed / static_cast<double>(clients));
    std::printf(
        "delivery latency                   p50 %.1f ms  p99 %.1f ms  max %.1f ms (%zu samples)\n",
        percentile(latencies, 0.5), percentile(latencies, 0.99), percentile(latencies, 1),
        latencies.size());
    std::printf("streams cut off or closed          %zu\n", streams.closed());
    server.stop();
  } catch (const std::exception& error) {
    std::fprintf(stderr, "bench_events: %s\n", error.what());
    return 1;
  }
  return 0;
}
