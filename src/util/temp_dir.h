// A private temporary directory, removed with everything in it when the owner goes away.
#pragma once

#include <filesystem>

#include "util/result.h"

namespace pop {

class TempDir {
 public:
  // Creates <parent>/<prefix>XXXXXX with mode 0700; parent defaults to $TMPDIR or /tmp.
  static Result<TempDir> create(std::string_view prefix, std::filesystem::path parent = {});

  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  const std::filesystem::path& path() const { return path_; }

 private:
  explicit TempDir(std::filesystem::path path) : path_(std::move(path)) {}
  void remove();
  std::filesystem::path path_;
};

}  // namespace pop
