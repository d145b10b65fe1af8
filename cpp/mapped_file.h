// A whole file mapped read-only into memory (POSIX mmap), for readers that touch only the bytes they need:
// the offset tables and the frames asked for, paged in by the kernel on first access.
#pragma once
#include <cstdint>
#include <string>

#include "span.h"

namespace framecodec {

class MappedFile {
 public:
  // Maps `path`. Throws std::system_error (with errno) when it cannot be opened, is not a regular file (a
  // FIFO or a device would block or never end), or cannot be mapped. An empty file maps to an empty span.
  explicit MappedFile(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  ConstBytes bytes() const { return {data_, size_}; }
  uint64_t size() const { return size_; }

 private:
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace framecodec
