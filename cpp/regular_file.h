// Opening a path for reading, only when it is a regular file whose size is its length: the readers
// (FileSource, MappedFile) trust the size they are told, read up to it and never wait for data.
#pragma once
#include <cstdint>
#include <string>

namespace framecodec {

// A file descriptor open for reading, closed with the object.
class RegularFile {
 public:
  // Opens `path`. Throws FileError when it cannot be opened; when it is not a regular file (a FIFO or a socket
  // would block until a writer comes, a device may never end, a directory cannot be read); when its file
  // system reports sizes that are not the files' lengths (/proc, /sys: a size of 0 or 4096 whatever they
  // hold); or when the path holds a NUL byte (the OS would read it as the end of the path).
  explicit RegularFile(const std::string& path);
  ~RegularFile();
  RegularFile(const RegularFile&) = delete;
  RegularFile& operator=(const RegularFile&) = delete;

  int fd() const { return fd_; }
  uint64_t size() const { return size_; }
  // Reads n bytes at pos into out, all of them: throws FileError when the file ends before (it is shorter
  // than its size said: changed while being read) or a read fails.
  void read_exactly(uint64_t pos, uint8_t* out, size_t n) const;

 private:
  int fd_ = -1;
  uint64_t size_ = 0;
  std::string path_;
};

}  // namespace framecodec
