#include "puller/attempt_log_shipper.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <limits>
#include <vector>

#include "util/unique_fd.h"

namespace pop::puller {
namespace {

// A running attempt's file is sent at most this many chunks per round, so that one chatty
// handler does not hold up the others' logs.
constexpr std::size_t kChunksPerRound = 16;

// What `file` holds from `offset` on, at most `max` bytes; empty at its end. Sized by what
// the file holds, not by `max`: most attempts write little or nothing, and a whole chunk's
// buffer (256 KiB, past malloc's mmap threshold) zeroed for each read stood out in the
// profile of a drain of `/bin/true` agendas (bench_server part 4: mmap, memset, page faults).
Result<std::string> read_at(const UniqueFd& file, std::uint64_t offset, std::size_t max) {
  struct stat status {};
  if (::fstat(file.get(), &status) != 0)
    return fail(ErrorCode::kUnavailable, "cannot read an attempt's log file");
  const auto size = static_cast<std::uint64_t>(status.st_size);
  if (size <= offset) return std::string();
  std::string bytes(static_cast<std::size_t>(std::min<std::uint64_t>(max, size - offset)), '\0');
  for (;;) {
    const ssize_t n = ::pread(file.get(), bytes.data(), bytes.size(), static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(ErrorCode::kUnavailable, "cannot read an attempt's log file");
    bytes.resize(static_cast<std::size_t>(n));
    return bytes;
  }
}

}  // namespace

struct AttemptLogShipper::Attempt {
  Attempt(std::string name, int number, std::filesystem::path file_path)
      : operation(std::move(name)), attempt(number), path(std::move(file_path)) {}
  const std::string operation;
  const int attempt;
  const std::filesystem::path path;
  std::mutex mutex;                // held while shipping it; guards the rest
  std::uint64_t acknowledged = 0;  // the length the server holds
  bool announced = false;          // the server has heard of it
  bool capped = false;             // the server keeps no more of it: the rest waits for the end
  bool done = false;               // ended, or the lease is gone: nothing more to send
};

AttemptLogShipper::AttemptLogShipper(WorkSource& source, LogLease lease,
                                     std::filesystem::path directory, std::string file_prefix,
                                     std::size_t chunk_bytes)
    : source_(source),
      lease_(std::move(lease)),
      directory_(std::move(directory)),
      file_prefix_(std::move(file_prefix)),
      chunk_bytes_(chunk_bytes) {}

AttemptLogShipper::~AttemptLogShipper() {
  for (const auto& [key, attempt] : attempts_) delete_file(*attempt);
}

std::filesystem::path AttemptLogShipper::track(const std::string& operation, int attempt) {
  std::lock_guard lock(mutex_);
  // Numbered rather than named: an operation's name may hold any character.
  const auto path = directory_ / (file_prefix_ + std::to_string(++files_) + ".log");
  attempts_[{operation, attempt}] = std::make_shared<Attempt>(operation, attempt, path);
  return path;
}

std::shared_ptr<AttemptLogShipper::Attempt> AttemptLogShipper::find(const Key& key) {
  std::lock_guard lock(mutex_);
  auto it = attempts_.find(key);
  return it == attempts_.end() ? nullptr : it->second;
}

void AttemptLogShipper::ship_running() {
  std::vector<std::shared_ptr<Attempt>> running;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [key, attempt] : attempts_) running.push_back(attempt);
  }
  for (const auto& attempt : running) {
    std::lock_guard lock(attempt->mutex);
    if (!attempt->done) (void)ship(*attempt, kChunksPerRound, false);
  }
}

Result<void> AttemptLogShipper::finish(const std::string& operation, int attempt) {
  auto found = find({operation, attempt});
  if (!found) return {};
  Result<void> shipped;
  {
    std::lock_guard lock(found->mutex);
    if (!found->done) shipped = ship(*found, std::numeric_limits<std::size_t>::max(), true);
  }
  if (shipped || shipped.error().code != ErrorCode::kUnavailable) forget(operation, attempt);
  return shipped;
}

void AttemptLogShipper::forget(const std::string& operation, int attempt) {
  std::shared_ptr<Attempt> gone;
  {
    std::lock_guard lock(mutex_);
    auto it = attempts_.find({operation, attempt});
    if (it == attempts_.end()) return;
    gone = std::move(it->second);
    attempts_.erase(it);
  }
  delete_file(*gone);
}

void AttemptLogShipper::delete_file(const Attempt& attempt) {
  std::error_code ignored;  // a file the runner never created is nothing to delete
  std::filesystem::remove(attempt.path, ignored);
}

Result<void> AttemptLogShipper::ship(Attempt& attempt, std::size_t max_chunks, bool ended) {
  if (attempt.capped && !ended) return {};
  UniqueFd file(::open(attempt.path.c_str(), O_RDONLY | O_CLOEXEC));
  // No file: the runner has not written one (yet, or at all, for an attempt that never
  // started); an ended attempt then has an empty log.
  for (std::size_t sent = 0; sent < max_chunks; ++sent) {
    auto bytes = file ? read_at(file, attempt.acknowledged, chunk_bytes_) : std::string();
    if (!bytes) return fail(bytes.error());
    const bool last = bytes->size() < chunk_bytes_;
    // An attempt that ended without writing a byte, and was never announced, keeps no log:
    // its end then costs no store write, which for quick silent handlers (a no-op, /bin/true)
    // was most of what observability cost the drain (bench_server part 4).
    if (bytes->empty() && ended && !attempt.announced) {
      attempt.done = true;
      return {};
    }
    // A running attempt whose file has nothing new sends nothing, except once at first, so
    // that its log exists (and can be followed) from its start.
    if (bytes->empty() && !ended && attempt.announced) return {};
    auto answer = source_.append_log(
        lease_.agenda_id, lease_.epoch, lease_.key,
        {attempt.operation, attempt.attempt, attempt.acknowledged, *bytes, ended && last});
    if (!answer) {
      if (answer.error().code != ErrorCode::kUnavailable) attempt.done = true;
      return fail(answer.error());
    }
    attempt.acknowledged = answer->length;
    attempt.announced = true;
    attempt.capped = answer->capped;
    if (last) {
      attempt.done = ended;
      return {};
    }
  }
  return {};
}

}  // namespace pop::puller
