#include "byte_source.h"

#include <algorithm>
#include <cstring>

namespace framecodec {

namespace {
constexpr size_t kBlock = 64 * 1024;
}

FileSource::FileSource(const std::string& path) : file_(path) { size_ = file_.size(); }

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
  window_pos_ = pos;
  window_len_ = keep;  // until the read below has succeeded
  file_.read_exactly(pos + keep, window_.data() + keep, want - keep);
  bytes_read_ += want - keep;
  window_len_ = want;
  return window_.data();
}

}  // namespace framecodec
