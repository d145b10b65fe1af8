#include "region.h"

#include <algorithm>
#include <cstring>
#include <type_traits>

namespace framecodec {
namespace {

// Samples are little-endian as stored; on the little-endian hosts this library builds for (cpu.h), a plain
// load. memcpy keeps unaligned rows legal.
template <class T>
T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

template <class T>
void average(const uint8_t* frame, size_t columns, size_t samples, const ImageTarget& t) {
  // 64 samples of up to 32 bits fit 64 bits; 64-bit samples sum in 128.
  using Sum = std::conditional_t<sizeof(T) == 8, __int128, int64_t>;
  const size_t pixel = samples * sizeof(T), row_bytes = columns * pixel, s = t.scale;
  const size_t ow = t.out_width(), oh = t.out_height();
  for (size_t oy = 0; oy < oh; ++oy) {
    const size_t y0 = t.y + oy * s, ny = std::min(s, t.y + t.height - y0);
    uint8_t* out = t.out + oy * t.stride;
    for (size_t ox = 0; ox < ow; ++ox) {
      const size_t x0 = t.x + ox * s, nx = std::min(s, t.x + t.width - x0);
      const Sum count = static_cast<Sum>(nx * ny);
      for (size_t c = 0; c < samples; ++c) {
        Sum sum = 0;
        for (size_t y = y0; y < y0 + ny; ++y) {
          const uint8_t* p = frame + y * row_bytes + x0 * pixel + c * sizeof(T);
          for (size_t x = 0; x < nx; ++x) sum += load<T>(p + x * pixel);
        }
        // Round half up: floor((2 * sum + count) / (2 * count)), floor division for negative sums too.
        Sum num = 2 * sum + count, den = 2 * count, q = num / den;
        if (num < 0 && num % den != 0) --q;
        const T v = static_cast<T>(q);
        std::memcpy(out + (ox * samples + c) * sizeof(T), &v, sizeof v);
      }
    }
  }
}

}  // namespace

void copy_region(const uint8_t* frame, size_t columns, size_t samples, size_t bytes_per_sample, bool is_signed,
                 const ImageTarget& t) {
  const size_t pixel = samples * bytes_per_sample;
  if (t.scale <= 1) {
    for (size_t r = 0; r < t.height; ++r)
      std::memcpy(t.out + r * t.stride, frame + ((t.y + r) * columns + t.x) * pixel, t.width * pixel);
    return;
  }
  switch (static_cast<int>(bytes_per_sample) * (is_signed ? -1 : 1)) {
    case 1: return average<uint8_t>(frame, columns, samples, t);
    case 2: return average<uint16_t>(frame, columns, samples, t);
    case 4: return average<uint32_t>(frame, columns, samples, t);
    case 8: return average<uint64_t>(frame, columns, samples, t);
    case -1: return average<int8_t>(frame, columns, samples, t);
    case -2: return average<int16_t>(frame, columns, samples, t);
    case -4: return average<int32_t>(frame, columns, samples, t);
    default: return average<int64_t>(frame, columns, samples, t);
  }
}

}  // namespace framecodec
