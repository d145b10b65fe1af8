#include "mapped_file.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "errors.h"
#include "regular_file.h"

namespace framecodec {

MappedFile::MappedFile(const std::string& path) {
  RegularFile file(path);  // refuses FIFOs, devices, directories and /proc-like files before mapping
  size_ = static_cast<size_t>(file.size());
  if (size_ > 0) {
    void* p = ::mmap(nullptr, size_, PROT_READ, MAP_SHARED, file.fd(), 0);
    if (p == MAP_FAILED) throw FileError(errno, std::string("cannot be memory-mapped: ") + std::strerror(errno));
    data_ = static_cast<const uint8_t*>(p);
  }
  // The mapping keeps the file; the descriptor closes with `file`.
}

void MappedFile::drop(uint64_t offset, uint64_t length) const {
  if (!data_ || offset >= size_) return;
  const uint64_t end = std::min<uint64_t>(size_, offset + std::min<uint64_t>(length, size_));
  const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  const uint64_t first = (offset + page - 1) / page * page;  // whole pages only: a neighbour's bytes stay
  const uint64_t last = end == size_ ? end : end / page * page;
  if (last <= first) return;
  ::madvise(const_cast<uint8_t*>(data_) + first, static_cast<size_t>(last - first), MADV_DONTNEED);  // advice only
}

MappedFile::~MappedFile() {
  if (data_) ::munmap(const_cast<uint8_t*>(data_), size_);
}

}  // namespace framecodec
