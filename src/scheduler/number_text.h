// Numbers as people write them in messages ("0.001", "2.5", "1000"), not std::to_string's
// fixed six decimals.
#pragma once

#include <sstream>
#include <string>

namespace pop::scheduler {

inline std::string number_text(double value) {
  std::ostringstream out;
  out << value;  // %g with 6 significant digits
  return out.str();
}

}  // namespace pop::scheduler
