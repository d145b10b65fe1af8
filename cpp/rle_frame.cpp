// Frame layout rules shared by the RLE decoder and encoder (PS3.5 G.2 and G.5).
#include <cstdint>
#include <stdexcept>
#include <string>

#include "rle.h"

namespace framecodec {
namespace {

constexpr size_t kMaxSegments = 15;  // PS3.5 G.5: the 64-byte header holds at most 15 offsets

[[noreturn]] void too_large(const RleFrame& f) {
  throw std::invalid_argument("a " + std::to_string(f.rows) + " x " + std::to_string(f.columns) + " frame of " +
                              std::to_string(f.samples_per_pixel) + " samples is too large");
}

// numpy and Python sizes are signed: every size stays at most PTRDIFF_MAX.
constexpr size_t kMaxSize = static_cast<size_t>(PTRDIFF_MAX);

size_t checked_mul(size_t a, size_t b, const RleFrame& f) {
  size_t r;
  if (__builtin_mul_overflow(a, b, &r) || r > kMaxSize) too_large(f);
  return r;
}

// Encoded size bound of one segment: each row of n bytes encodes to at most n + n/3 + 2 bytes (see
// rle_encode.cpp), plus one pad byte.
size_t segment_bound(const RleFrame& f) { return checked_mul(f.rows, f.columns + f.columns / 3 + 2, f) + 1; }

}  // namespace

size_t rle_bytes_per_sample(const RleFrame& f) { return f.bits_allocated <= 8 ? 1 : f.bits_allocated / 8; }

size_t rle_segment_count(const RleFrame& f) { return f.samples_per_pixel * rle_bytes_per_sample(f); }

size_t rle_decoded_size(const RleFrame& f) {
  return checked_mul(checked_mul(f.rows, f.columns, f), rle_segment_count(f), f);
}

void rle_check_frame(const RleFrame& f) {
  if (f.rows == 0 || f.columns == 0)
    throw std::invalid_argument("rows and columns must be at least 1, got " + std::to_string(f.rows) + " x " +
                                std::to_string(f.columns));
  if (f.samples_per_pixel == 0) throw std::invalid_argument("samples_per_pixel must be at least 1, got 0");
  const size_t b = f.bits_allocated;
  if (b != 1 && b != 8 && b != 16 && b != 32 && b != 64)
    throw std::invalid_argument("bits_allocated must be 1, 8, 16, 32 or 64, got " + std::to_string(b));
  if (b == 1 && f.samples_per_pixel != 1)
    throw std::invalid_argument("bits_allocated 1 needs samples_per_pixel 1, got " +
                                std::to_string(f.samples_per_pixel));
  if (f.samples_per_pixel > kMaxSegments || rle_segment_count(f) > kMaxSegments)
    throw std::invalid_argument(std::to_string(f.samples_per_pixel) + " samples of " + std::to_string(b) +
                                " bits need " + std::to_string(f.samples_per_pixel * rle_bytes_per_sample(f)) +
                                " segments; RLE allows at most 15 (PS3.5 G.5)");
  rle_decoded_size(f);  // throws when too large
  rle_encode_bound(f);
}

size_t rle_encode_input_size(const RleFrame& f, RleInput kind) {
  if (kind == RleInput::PackedBits) {
    const size_t bits = checked_mul(f.rows, f.columns, f);
    return bits / 8 + (bits % 8 != 0);
  }
  return rle_decoded_size(f);
}

size_t rle_encode_bound(const RleFrame& f) {
  const size_t all = checked_mul(segment_bound(f), rle_segment_count(f), f);
  if (all > kMaxSize - 64) too_large(f);
  return 64 + all;
}

}  // namespace framecodec
