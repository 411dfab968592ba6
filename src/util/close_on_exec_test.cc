#include "util/close_on_exec.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

#include "util/unique_fd.h"

namespace pop {
namespace {

bool contains(const std::vector<int>& fds, int fd) {
  return std::find(fds.begin(), fds.end(), fd) != fds.end();
}

TEST(CloseOnExec, FindsAndMarksInheritableDescriptors) {
  UniqueFd plain(::socket(AF_INET, SOCK_STREAM, 0));
  UniqueFd flagged(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_TRUE(plain && flagged);
  EXPECT_TRUE(contains(inheritable_descriptors(), plain.get()));
  EXPECT_FALSE(contains(inheritable_descriptors(), flagged.get()));
  make_descriptors_close_on_exec();
  EXPECT_TRUE(inheritable_descriptors().empty());
  EXPECT_EQ(::fcntl(0, F_GETFD) & FD_CLOEXEC, 0) << "stdin must stay inheritable";
}

}  // namespace
}  // namespace pop
