// Exceptions the kernels throw. The bindings map DecodeError to framecodec.DecodeError (a ValueError);
// std::invalid_argument (a caller broke a documented precondition) maps to ValueError.
#pragma once
#include <stdexcept>
#include <string>

namespace framecodec {

// The compressed data is corrupt, truncated, or does not decode to the expected size.
class DecodeError : public std::runtime_error {
 public:
  explicit DecodeError(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace framecodec
