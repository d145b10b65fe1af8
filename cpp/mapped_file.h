// A whole file mapped read-only into memory (POSIX mmap), for readers that touch only the bytes they need:
// the offset tables and the frames asked for, paged in by the kernel on first access.
#pragma once
#include <cstdint>
#include <string>

#include "span.h"

namespace framecodec {

class MappedFile {
 public:
  // Maps `path`. Throws FileError when it cannot be opened, is not a regular file whose size is its length
  // (see RegularFile: a FIFO would block, a /proc file says 0 bytes), or cannot be mapped. An empty file maps
  // to an empty span. As with any mapping, a file truncated by another process while mapped makes a read of
  // the lost pages fault (SIGBUS): the file must not shrink while it is read.
  explicit MappedFile(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  ConstBytes bytes() const { return {data_, size_}; }
  uint64_t size() const { return size_; }

  // Lets the kernel take back the pages wholly inside [offset, offset + length) from this process's resident
  // set (madvise MADV_DONTNEED): a reader streaming through a file larger than memory calls it for the bytes it
  // is done with, so its resident size stays that of its batch. The bytes stay valid: the mapping is shared and
  // read-only, so a later read pages them in again from the file (or the page cache).
  void drop(uint64_t offset, uint64_t length) const;

 private:
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace framecodec
