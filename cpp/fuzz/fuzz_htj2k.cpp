// Htj2kDecoder on any bytes: a frame and a target from the input's first bytes, the rest as the codestream. The
// decoder must not write outside the target (guard bytes around it), must refuse with DecodeError or
// std::invalid_argument only, and a scale-1 crop must equal the same rectangle of the whole frame's decode.
//
// Input: rows - 1, columns - 1 (1 byte each), flags (1 byte: bit 0 three samples, bit 1 Bits Allocated 16, bit 2
// signed, bits 3-4 log2 of the scale, bit 5 take rows, columns, samples, bits and sign from the codestream's SIZ so
// that its mutations still pass the header checks), Bits Stored - 1 (1 byte, modulo Bits Allocated), the crop's x,
// y, width - 1, height - 1 (1 byte each, modulo the frame), then the codestream.
#include <cstring>
#include <stdexcept>
#include <vector>

#include "errors.h"
#include "fuzz_input.h"
#include "htj2k_decode.h"

using namespace framecodec;
using namespace framecodec::fuzz;

namespace {

constexpr uint8_t kGuard = 0xA5;
constexpr size_t kSide = 16, kRows = 2;  // guard bytes left and right of each row, guard rows above and below

uint32_t be16(const uint8_t* p) { return static_cast<uint32_t>(p[0] << 8 | p[1]); }
uint32_t be32(const uint8_t* p) { return be16(p) << 16 | be16(p + 2); }

// Decodes into a buffer with guards around the target; false for a refusal. Checks the guards either way.
bool decode(Htj2kDecoder& d, ConstBytes cs, const ImageFrame& f, ImageTarget t, std::vector<uint8_t>& buf) {
  const size_t row = t.out_width() * f.samples * (f.bits_allocated / 8);
  t.stride = row + 2 * kSide;
  buf.assign((t.out_height() + 2 * kRows) * t.stride, kGuard);
  t.out = buf.data() + kRows * t.stride + kSide;
  bool ok = true;
  try {
    d.decode(cs, f, t);
  } catch (const DecodeError&) {
    ok = false;
  } catch (const std::invalid_argument&) {
    ok = false;
  }
  for (size_t i = 0; i < buf.size(); ++i) {
    const size_t r = i / t.stride, c = i % t.stride;
    const bool inside = r >= kRows && r < kRows + t.out_height() && c >= kSide && c < kSide + row;
    if (!inside) FUZZ_CHECK(buf[i] == kGuard);
  }
  return ok;
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
  const unsigned scale = 1u << ((flags >> 3) & 3);
  f.bits_stored = 1 + in.u8() % f.bits_allocated;
  const uint8_t cx = in.u8(), cy = in.u8(), cw = in.u8(), ch = in.u8();
  const ConstBytes cs = in.rest();
  if ((flags & 32) && cs.size >= 45 && be16(cs.data) == 0xFF4F && be16(cs.data + 2) == 0xFF51) {
    const uint32_t cols = be32(cs.data + 8) - be32(cs.data + 16), rows = be32(cs.data + 12) - be32(cs.data + 20);
    const uint32_t comps = be16(cs.data + 40), depth = (cs.data[42] & 0x7Fu) + 1;
    if (cols >= 1 && cols <= 256 && rows >= 1 && rows <= 256 && (comps == 1 || comps == 3) && depth <= 16) {
      f.rows = rows, f.columns = cols, f.samples = comps;
      f.bits_allocated = depth > 8 ? 16 : 8;
      f.bits_stored = depth;
      f.is_signed = cs.data[42] & 0x80;
    }
  }
  ImageTarget t;
  t.scale = scale;
  t.x = cx % f.columns / scale * scale;
  t.y = cy % f.rows / scale * scale;
  t.width = 1 + cw % (f.columns - t.x);
  t.height = 1 + ch % (f.rows - t.y);

  static Htj2kDecoder decoder;  // one for all inputs: its scratch carries over, as in a worker
  std::vector<uint8_t> crop, whole;
  (void)decoder.supports(f, t);
  const bool crop_ok = decode(decoder, cs, f, t, crop);
  if (scale != 1) return 0;
  ImageTarget w;
  w.width = f.columns;
  w.height = f.rows;
  if (!decode(decoder, cs, f, w, whole)) return 0;
  FUZZ_CHECK(crop_ok);  // the crop pulls a subset of the lines the whole decode pulled
  const size_t px = f.samples * (f.bits_allocated / 8), crop_stride = t.width * px + 2 * kSide;
  const size_t whole_stride = f.columns * px + 2 * kSide;
  for (size_t r = 0; r < t.height; ++r)
    FUZZ_CHECK(std::memcmp(crop.data() + (kRows + r) * crop_stride + kSide,
                           whole.data() + (kRows + t.y + r) * whole_stride + kSide + t.x * px, t.width * px) == 0);
  return 0;
}
