// J2kDecoder (OpenJPEG) on any codestream, for any frame the data set might describe: a whole frame and a target
// (a crop, a reduced scale) each decoded between guard bytes that must stay untouched; DecodeError and
// std::invalid_argument are normal outcomes. When the whole frame decodes, a scale-1 crop must decode too and
// equal the whole frame's rectangle (OpenJPEG's sub-tile decoding must agree with its whole-tile decoding).
//
// Input: rows - 1, columns - 1 (1 byte each), flags (1 byte: bit 0 three samples, bit 1 bits allocated 16,
// bit 2 signed, bits 3-4 log2 of the scale), bits stored - 1 (1 byte, modulo bits allocated), the target's x, y,
// width and height (1 byte each, folded into the frame), then the codestream.
#include <cstring>
#include <stdexcept>
#include <vector>

#include "errors.h"
#include "fuzz_input.h"
#include "j2k_decode.h"

using namespace framecodec;
using namespace framecodec::fuzz;

namespace {

constexpr size_t kGuard = 24;  // bytes before the first row, between rows and after the last
constexpr uint8_t kFill = 0xA5;

// A target's rows inside a buffer of guard bytes.
struct Guarded {
  std::vector<uint8_t> buf;
  ImageTarget t;
  size_t row = 0;

  Guarded(const ImageTarget& target, size_t bytes_per_pixel) : t(target) {
    row = t.out_width() * bytes_per_pixel;
    t.stride = row + kGuard;
    buf.assign(kGuard + t.stride * t.out_height() + kGuard, kFill);
    t.out = buf.data() + kGuard;
  }
  bool guards_intact() const {
    for (size_t i = 0; i < buf.size(); ++i) {
      const size_t at = i - kGuard;  // wraps for the leading guard: never inside a row
      if (i >= kGuard && at / t.stride < t.out_height() && at % t.stride < row) continue;
      if (buf[i] != kFill) return false;
    }
    return true;
  }
  const uint8_t* pixel(size_t x, size_t y, size_t bytes_per_pixel) const {
    return t.out + y * t.stride + x * bytes_per_pixel;
  }
};

// Decodes; false for the outcomes a corrupt or mismatched codestream may have.
bool decode(J2kDecoder& d, ConstBytes cs, const ImageFrame& f, const ImageTarget& t) {
  try {
    d.decode(cs, f, t);
    return true;
  } catch (const DecodeError&) {
  } catch (const std::invalid_argument&) {
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in{data, size};
  ImageFrame f;
  f.rows = 1 + in.u8();
  f.columns = 1 + in.u8();
  const uint8_t flags = in.u8();
  f.samples = flags & 1 ? 3 : 1;
  f.bits_allocated = flags & 2 ? 16 : 8;
  f.is_signed = flags & 4;
  f.bits_stored = 1 + in.u8() % f.bits_allocated;
  ImageTarget t;
  t.scale = 1u << ((flags >> 3) & 3);
  t.x = in.u8() % f.columns / t.scale * t.scale;  // image_codec.h: the corner is a multiple of the scale
  t.y = in.u8() % f.rows / t.scale * t.scale;
  t.width = 1 + in.u8() % (f.columns - t.x);
  t.height = 1 + in.u8() % (f.rows - t.y);
  const ConstBytes cs = in.rest();
  const size_t pixel = f.samples * f.bits_allocated / 8;

  thread_local J2kDecoder decoder;
  Guarded whole(whole_frame(f, nullptr), pixel);
  const bool whole_ok = decode(decoder, cs, f, whole.t);
  FUZZ_CHECK(whole.guards_intact());

  Guarded part(t, pixel);
  const bool part_ok = decode(decoder, cs, f, part.t);
  FUZZ_CHECK(part.guards_intact());
  if (whole_ok && t.scale == 1) {
    FUZZ_CHECK(part_ok);
    for (size_t y = 0; y < t.height; ++y)
      FUZZ_CHECK(std::memcmp(part.pixel(0, y, pixel), whole.pixel(t.x, t.y + y, pixel), t.width * pixel) == 0);
  }
  return 0;
}
