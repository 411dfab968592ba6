#include "runner/local/pipe.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace pop {

Result<Pipe> Pipe::create() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return fail(ErrorCode::kUnavailable,
                std::string("cannot create a pipe: ") + std::strerror(errno));
  }
  Pipe pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
  if (::fcntl(fds[0], F_SETFL, O_NONBLOCK) != 0) {
    return fail(ErrorCode::kUnavailable,
                std::string("cannot make a pipe non-blocking: ") + std::strerror(errno));
  }
  return pipe;
}

}  // namespace pop
