// Exceptions the kernels throw. The bindings map DecodeError to framecodec.DecodeError and
// EncapsulationError to framecodec.EncapsulationError (both ValueErrors);
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

// Encapsulated Pixel Data (PS3.5 A.4) or the data set around it is malformed, truncated, or disagrees with
// its offset tables; the message names the byte offset or the frame and the cause.
class EncapsulationError : public std::runtime_error {
 public:
  explicit EncapsulationError(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace framecodec
