#include "mapped_file.h"

#include <sys/mman.h>

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

MappedFile::~MappedFile() {
  if (data_) ::munmap(const_cast<uint8_t*>(data_), size_);
}

}  // namespace framecodec
