#include "byte_source.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

namespace framecodec {

namespace {
constexpr size_t kBlock = 64 * 1024;
}

FileSource::FileSource(const std::string& path) {
  errno = 0;
  file_.open(path, std::ios::binary);
  if (!file_) throw std::system_error(errno ? errno : ENOENT, std::generic_category(), path);
  file_.seekg(0, std::ios::end);
  std::streamoff end = file_.tellg();
  if (end < 0) throw std::system_error(errno ? errno : EIO, std::generic_category(), path);
  size_ = static_cast<uint64_t>(end);
}

const uint8_t* FileSource::view(uint64_t pos, size_t n) {
  const uint64_t window_end = window_pos_ + window_len_;
  if (pos >= window_pos_ && pos + n <= window_end) return window_.data() + (pos - window_pos_);
  // Read forward from pos, at least a block, keeping what the window already holds from pos on: the
  // parser moves forward, so no byte of the header is read twice.
  const size_t want = static_cast<size_t>(std::min<uint64_t>(std::max(n, kBlock), size_ - pos));
  size_t keep = 0;
  if (pos >= window_pos_ && pos < window_end) keep = static_cast<size_t>(window_end - pos);
  if (window_.size() < want) window_.resize(want);
  if (keep) std::memmove(window_.data(), window_.data() + (pos - window_pos_), keep);
  file_.clear();
  file_.seekg(static_cast<std::streamoff>(pos + keep));
  file_.read(reinterpret_cast<char*>(window_.data() + keep), static_cast<std::streamsize>(want - keep));
  const size_t got = keep + static_cast<size_t>(file_.gcount());
  bytes_read_ += static_cast<uint64_t>(file_.gcount());
  window_pos_ = pos;
  window_len_ = got;
  if (got < n) throw std::system_error(errno ? errno : EIO, std::generic_category(), "read");
  return window_.data();
}

}  // namespace framecodec
