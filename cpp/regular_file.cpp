#include "regular_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/vfs.h>
#endif

#include <cerrno>
#include <cstring>

#include "errors.h"

namespace framecodec {

namespace {

[[noreturn]] void fail(int e, const std::string& reason) { throw FileError(e, reason); }

const char* kind_of(mode_t m) {
  if (S_ISFIFO(m)) return "a FIFO (named pipe)";
  if (S_ISSOCK(m)) return "a socket";
  if (S_ISCHR(m)) return "a character device";
  if (S_ISBLK(m)) return "a block device";
  return "a special file";
}

#if defined(__linux__)
// File systems whose files report a size that is not their length (linux/magic.h).
const char* pseudo_file_system(int fd) {
  struct statfs fs {};
  if (::fstatfs(fd, &fs) != 0) return nullptr;
  switch (static_cast<unsigned long>(fs.f_type)) {
    case 0x9fa0: return "/proc (procfs)";
    case 0x62656572: return "/sys (sysfs)";
    case 0x64626720: return "debugfs";
    case 0x74726163: return "tracefs";
    case 0x27e0eb: return "cgroup";
    case 0x63677270: return "cgroup2";
    default: return nullptr;
  }
}
#endif

}  // namespace

RegularFile::RegularFile(const std::string& path) : path_(path) {
  if (path.find('\0') != std::string::npos) fail(EINVAL, "embedded null byte in the path");
  // O_NONBLOCK: opening a FIFO for reading must not wait for a writer; it is refused below.
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd_ < 0) fail(errno, std::strerror(errno));
  struct stat st {};
  if (::fstat(fd_, &st) != 0) {
    const int e = errno;
    ::close(fd_);
    fail(e, std::strerror(e));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd_);
    if (S_ISDIR(st.st_mode)) fail(EISDIR, std::strerror(EISDIR));  // as open() says it
    fail(EINVAL, std::string("not a regular file but ") + kind_of(st.st_mode) + ", which is not read");
  }
#if defined(__linux__)
  if (const char* fs = pseudo_file_system(fd_)) {
    ::close(fd_);
    fail(EINVAL, std::string("a file of ") + fs + ", whose size (" + std::to_string(st.st_size) +
                     " bytes) is not its length: copy it to a regular file to read it");
  }
#endif
  size_ = static_cast<uint64_t>(st.st_size);
  if (size_ == 0) {  // a size of 0 must mean no data; a special file system may say 0 for any file
    uint8_t b;
    if (::pread(fd_, &b, 1, 0) > 0) {
      ::close(fd_);
      fail(EINVAL,
           "the file system reports a size of 0 for a file that holds data (a special file system?): "
           "copy it to a regular file to read it");
    }
  }
}

RegularFile::~RegularFile() {
  if (fd_ >= 0) ::close(fd_);
}

void RegularFile::read_exactly(uint64_t pos, uint8_t* out, size_t n) const {
  size_t done = 0;
  while (done < n) {
    const ssize_t r = ::pread(fd_, out + done, n - done, static_cast<off_t>(pos + done));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) fail(errno, std::strerror(errno));
    if (r == 0)
      fail(EIO, "the file ends at byte " + std::to_string(pos + done) + ", before the " + std::to_string(size_) +
                    " bytes its size says: it changed while being read");
    done += static_cast<size_t>(r);
  }
}

}  // namespace framecodec
