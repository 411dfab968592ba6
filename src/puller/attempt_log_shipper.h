// Ships each attempt's log to the server while the handler runs, so that every attempt's
// output is kept (docs/observability.md, "Attempt logs"). The runner writes the handler's
// output to a capped file (LaunchRequest::log_path, runner/log_sink.h) as it comes; the
// shipper reads each attempt's file from the length the server acknowledged and sends what is
// new in chunks, so the handler never waits on the network and a lost answer or a reconnect
// loses and repeats nothing: the server stores a chunk only where its copy ends, and answers
// the length it holds, from which the next chunk is read. Chunks are sent under the lease (its
// epoch and key), so a holder that was fenced off is refused, and then ships no more.
//
// Thread-safety: every method may be called from any thread; one attempt is shipped by one
// thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "puller/work_source.h"
#include "util/result.h"

namespace pop::puller {

// Which lease the chunks go under.
struct LogLease {
  std::string agenda_id;
  std::uint64_t epoch = 0;
  std::string key;  // the lease's report key
};

class AttemptLogShipper {
 public:
  // Borrows `source`, which must outlive the shipper. Attempts' files are made in
  // `directory`, which must exist, be private to this process and outlive the shipper; their
  // names start with `file_prefix`, which no other shipper there may use. The shipper itself
  // makes nothing: an agenda of resident handlers costs no file operation (with a directory
  // made and removed per agenda, bench_server part 4 drained no-op agendas at 0.60 of the rate
  // without attempt logs; without it, at 0.97).
  AttemptLogShipper(WorkSource& source, LogLease lease, std::filesystem::path directory,
                    std::string file_prefix, std::size_t chunk_bytes = 256 << 10);
  // Deletes the files of attempts still tracked.
  ~AttemptLogShipper();
  AttemptLogShipper(const AttemptLogShipper&) = delete;
  AttemptLogShipper& operator=(const AttemptLogShipper&) = delete;

  // The file the runner should write the attempt's log to (its LaunchRequest::log_path), now
  // shipped on every ship_running() until finish() or forget().
  std::filesystem::path track(const std::string& operation, int attempt);
  // Sends what each tracked attempt's file gained since the server last acknowledged, up to
  // a few chunks each (the rest goes next time). Errors are left for the next call.
  void ship_running();
  // The attempt has ended: sends the rest of its file and marks the log ended (nothing at all
  // for an attempt that wrote nothing and was never announced), then stops tracking it and
  // deletes the file. kUnavailable: the server did not answer, and the
  // caller may call again; kConflict / kNotFound: the lease is gone, nothing more is sent.
  Result<void> finish(const std::string& operation, int attempt);
  // Stops tracking the attempt and deletes its file, whatever was shipped.
  void forget(const std::string& operation, int attempt);

 private:
  struct Attempt;
  using Key = std::pair<std::string, int>;
  std::shared_ptr<Attempt> find(const Key& key);
  static void delete_file(const Attempt& attempt);
  // Sends the file from the acknowledged length on, at most `max_chunks` chunks (the last
  // one marked as the end when `ended` and the file is all sent).
  Result<void> ship(Attempt& attempt, std::size_t max_chunks, bool ended);

  WorkSource& source_;
  const LogLease lease_;
  const std::filesystem::path directory_;
  const std::string file_prefix_;
  const std::size_t chunk_bytes_;
  std::mutex mutex_;
  std::map<Key, std::shared_ptr<Attempt>> attempts_;  // GUARDED_BY(mutex_)
  std::uint64_t files_ = 0;                           // GUARDED_BY(mutex_): files named so far
};

}  // namespace pop::puller
