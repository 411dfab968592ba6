// kubeconfig files (kubernetes/kube_config.h) as `pop puller --runner kubernetes` reads them.
// Input: "KUBECONFIG\0CONTEXT": the file's text and the context asked for (empty: the file's
// current-context). Files the kubeconfig names are looked up beside it, in a private
// temporary directory.
//
// Beyond not crashing: a configuration that loads names an http(s) server, and at most one CA
// and one client certificate and key source each.
#include <filesystem>
#include <fstream>

#include "fuzz_support.h"
#include "kubernetes/kube_config.h"
#include "util/temp_dir.h"

namespace {

const pop::TempDir& directory() {
  static const pop::TempDir instance = [] {
    auto created = pop::TempDir::create("pop-fuzz-kubeconfig-");
    POP_FUZZ_CHECK(created.has_value());
    return std::move(*created);
  }();
  return instance;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto parts = pop::fuzz::split_input(pop::fuzz::as_text(data, size), 2);
  // A token file is read whole; device files (/dev/zero) would make the target hang, not the
  // parser fail, and a kubeconfig comes from the operator, who names real files.
  for (std::string_view device : {"/dev", "/proc", "/sys"}) {
    if (parts[0].find(device) != std::string_view::npos) return 0;
  }
  const std::filesystem::path path = directory().path() / "config";
  {
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    file.write(parts[0].data(), static_cast<std::streamsize>(parts[0].size()));
    POP_FUZZ_CHECK(file.flush().good());
  }
  const auto config = pop::kubernetes::load_kubeconfig(path, parts[1]);
  if (!config) {
    POP_FUZZ_CHECK(config.error().code == pop::ErrorCode::kInvalidArgument ||
                   config.error().code == pop::ErrorCode::kNotFound);
    return 0;
  }
  POP_FUZZ_CHECK(config->server.starts_with("https://") || config->server.starts_with("http://"));
  POP_FUZZ_CHECK(config->ca_file.empty() || config->ca_pem.empty());
  POP_FUZZ_CHECK(config->client_certificate_file.empty() || config->client_certificate_pem.empty());
  POP_FUZZ_CHECK(config->client_key_file.empty() || config->client_key_pem.empty());
  return 0;
}
