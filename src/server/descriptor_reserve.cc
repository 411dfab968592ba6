#include "server/descriptor_reserve.h"

#include <algorithm>

namespace pop::server {

std::size_t reserved_descriptors(std::size_t open_file_limit, std::size_t agendas,
                                 std::size_t operations_per_agenda) {
  const std::size_t wanted =
      kBaseReservedDescriptors + kDescriptorsPerOperation * agendas * operations_per_agenda;
  return std::min(wanted, std::max(kBaseReservedDescriptors, open_file_limit / 2));
}

}  // namespace pop::server
