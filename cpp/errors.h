// Exceptions the kernels throw. The bindings map DecodeError to framecodec.DecodeError and
// EncapsulationError to framecodec.EncapsulationError (both ValueErrors);
// std::invalid_argument (a caller broke a documented precondition) maps to ValueError; FileError to OSError.
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

// A file cannot be opened or read. error_number() is the errno the bindings give OSError (which picks the
// subclass: FileNotFoundError, IsADirectoryError, ...); what() is the reason, strerror's text or one that says
// more (a FIFO, a /proc file whose size is not its length).
class FileError : public std::runtime_error {
 public:
  FileError(int error_number, const std::string& reason) : std::runtime_error(reason), errno_(error_number) {}
  int error_number() const { return errno_; }

 private:
  int errno_;
};

}  // namespace framecodec
