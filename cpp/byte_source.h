// Random access to the bytes of a buffer or a file, a little at a time: what the data set walks read from.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "regular_file.h"
#include "span.h"

namespace framecodec {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  uint64_t size() const { return size_; }
  // A view of n bytes at pos (the caller keeps pos + n <= size()), valid until the next call.
  virtual const uint8_t* view(uint64_t pos, size_t n) = 0;

 protected:
  uint64_t size_ = 0;
};

class MemorySource final : public ByteSource {
 public:
  explicit MemorySource(ConstBytes b) : data_(b.data) { size_ = b.size; }
  const uint8_t* view(uint64_t pos, size_t) override { return data_ + pos; }

 private:
  const uint8_t* data_;
};

// Reads a file in blocks of 64 KiB (more only for a longer value it must read, such as an Extended
// Offset Table) at the positions the parser asks for, so it reads the header and skips the rest.
// Throws FileError when the file cannot be opened (see RegularFile: only regular files whose size is their
// length) or read, or ends before its size.
class FileSource final : public ByteSource {
 public:
  explicit FileSource(const std::string& path);
  const uint8_t* view(uint64_t pos, size_t n) override;
  uint64_t bytes_read() const { return bytes_read_; }

 private:
  RegularFile file_;
  std::vector<uint8_t> window_;
  uint64_t window_pos_ = 0;
  size_t window_len_ = 0;
  uint64_t bytes_read_ = 0;
};

}  // namespace framecodec
