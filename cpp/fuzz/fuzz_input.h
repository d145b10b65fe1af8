// What the fuzz targets share: parameters read from the input's first bytes (so a seed says what it tests
// and a mutation of those bytes tries another layout), checks that abort where the fuzzer sees them, and a
// file in memory for the path forms of the readers.
#pragma once
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "span.h"

namespace framecodec::fuzz {

// The input as parameter bytes then data. Reading past the end gives zeros: every input is valid.
struct Input {
  const uint8_t* p;
  size_t n;

  uint8_t u8() {
    if (n == 0) return 0;
    --n;
    return *p++;
  }
  uint16_t u16() { return static_cast<uint16_t>(u8() | (u8() << 8)); }
  uint32_t u32() { return u16() | (static_cast<uint32_t>(u16()) << 16); }
  ConstBytes take(size_t k) {
    if (k > n) k = n;
    ConstBytes b{p, k};
    p += k;
    n -= k;
    return b;
  }
  ConstBytes rest() { return take(n); }
};

// A failed check is a finding: abort() so that libFuzzer saves the input and reports it.
#define FUZZ_CHECK(cond)                                                                  \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      std::fprintf(stderr, "fuzz check failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
      std::abort();                                                                       \
    }                                                                                     \
  } while (0)

// The input as a regular file, for comparing the path form of a reader (FileSource) with its buffer form
// (MemorySource). A memfd, reached through /proc/self/fd: no disk, and one per process, rewritten per input.
class MemoryFile {
 public:
  MemoryFile() : fd_(memfd_create("framecodec-fuzz", MFD_CLOEXEC)) {
    if (fd_ < 0) std::abort();
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  ~MemoryFile() { close(fd_); }
  const std::string& write(ConstBytes b) {
    if (ftruncate(fd_, 0) != 0) std::abort();
    size_t done = 0;
    while (done < b.size) {
      ssize_t w = pwrite(fd_, b.data + done, b.size - done, static_cast<off_t>(done));
      if (w <= 0) std::abort();
      done += static_cast<size_t>(w);
    }
    return path_;
  }

 private:
  int fd_;
  std::string path_;
};

}  // namespace framecodec::fuzz
