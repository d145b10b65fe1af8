// JpegDecoder (libjpeg-turbo) on any codestream, into a target rectangle at a scale chosen from the input's first
// bytes: a DecodeError or std::invalid_argument is a normal outcome, anything else (another exception, a crash,
// a write outside the rectangle) a finding. When the whole frame decodes, the rectangle must decode too, to the
// same pixels as that rectangle of the whole; and the decoder kept from input to input (as a worker keeps it from
// frame to frame) must give what a new one gives.
//
// Input: rows (2 bytes; 0: rows, columns and samples from the codestream's SOF marker, so that mutations get past
// the header check), columns (2 bytes), flags (1 byte: bit 0 three samples, 1 YBR, 2 raw, 3-4 log2 of the scale,
// 5-7 bytes of padding after each output row), the rectangle's x, y, width, height (2 bytes each, reduced into
// the frame), then the codestream.
#include <cstring>
#include <stdexcept>
#include <vector>

#include "errors.h"
#include "fuzz_input.h"
#include "jpeg_decode.h"

using namespace framecodec;
using namespace framecodec::fuzz;

namespace {

// Rows, columns and components of the first SOF0/1/2 marker (T.81 B.2.2), if it describes a frame the target's
// parameters allow.
bool frame_from_sof(ConstBytes cs, ImageFrame& f) {
  for (size_t i = 0; i + 10 <= cs.size; ++i) {
    if (cs.data[i] != 0xFF || cs.data[i + 1] < 0xC0 || cs.data[i + 1] > 0xC2) continue;
    const uint8_t* p = cs.data + i + 5;  // after the marker, length and precision
    f.rows = static_cast<size_t>(p[0] << 8 | p[1]);
    f.columns = static_cast<size_t>(p[2] << 8 | p[3]);
    f.samples = p[4];
    return f.rows >= 1 && f.rows <= 512 && f.columns >= 1 && f.columns <= 512 && (f.samples == 1 || f.samples == 3);
  }
  return false;
}

// The start and length of one side of the rectangle: inside `size`, start a multiple of `scale`, length a
// multiple of it unless the rectangle reaches the frame's edge.
void side(uint16_t start, uint16_t length, size_t size, unsigned scale, size_t& at, size_t& n) {
  at = (start % size) / scale * scale;
  n = 1 + length % (size - at);
  n = (n + scale - 1) / scale * scale;
  if (n > size - at) n = size - at;
}

enum class Outcome { ok, decode_error, invalid_argument };

Outcome run(JpegDecoder& decoder, ConstBytes cs, const ImageFrame& f, const ImageTarget& t) {
  try {
    decoder.decode(cs, f, t);
    return Outcome::ok;
  } catch (const DecodeError&) {
    return Outcome::decode_error;
  } catch (const std::invalid_argument&) {
    return Outcome::invalid_argument;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool built_with_libjpeg = !jpeg_library().empty();
  if (!built_with_libjpeg) return 0;  // nothing to fuzz: decode() only says what to install
  Input in{data, size};
  ImageFrame f;
  const uint16_t rows = in.u16(), columns = in.u16();
  const uint8_t flags = in.u8();
  const uint16_t x = in.u16(), y = in.u16(), width = in.u16(), height = in.u16();
  const ConstBytes cs = in.rest();
  if (rows == 0) {
    if (!frame_from_sof(cs, f)) return 0;
  } else {
    f.rows = 1 + rows % 512;
    f.columns = 1 + columns % 512;
    f.samples = flags & 1 ? 3 : 1;
  }
  f.ybr = flags & 2;
  f.raw = flags & 4;

  ImageTarget t;
  t.scale = 1u << ((flags >> 3) & 3);
  side(x, width, f.columns, t.scale, t.x, t.width);
  side(y, height, f.rows, t.scale, t.y, t.height);
  FUZZ_CHECK(JpegDecoder().supports(f, t));
  const size_t row = t.out_width() * f.samples, pad = flags >> 5, guard = 64;
  t.stride = row + pad;
  const uint8_t fill = static_cast<uint8_t>(0xA5 ^ size);
  std::vector<uint8_t> buffer(guard + t.stride * t.out_height() + guard, fill);
  t.out = buffer.data() + guard;

  static JpegDecoder decoder;  // kept from input to input
  const Outcome target = run(decoder, cs, f, t);
  for (size_t i = 0; i < guard; ++i) FUZZ_CHECK(buffer[i] == fill && buffer[buffer.size() - 1 - i] == fill);
  for (size_t r = 0; r < t.out_height(); ++r)
    for (size_t i = row; i < t.stride; ++i) FUZZ_CHECK(t.out[r * t.stride + i] == fill);

  // The whole frame at the same scale, by a new decoder and by the kept one.
  ImageTarget whole = t;
  whole.x = whole.y = 0;
  whole.width = f.columns;
  whole.height = f.rows;
  whole.stride = whole.out_width() * f.samples;
  std::vector<uint8_t> fresh_out(whole.stride * whole.out_height()), kept_out(fresh_out.size());
  whole.out = fresh_out.data();
  JpegDecoder fresh;
  const Outcome fresh_outcome = run(fresh, cs, f, whole);
  whole.out = kept_out.data();
  FUZZ_CHECK(run(decoder, cs, f, whole) == fresh_outcome);
  if (fresh_outcome != Outcome::ok) return 0;
  FUZZ_CHECK(kept_out == fresh_out);
  FUZZ_CHECK(target == Outcome::ok);
  const uint8_t* corner = fresh_out.data() + t.y / t.scale * whole.stride + t.x / t.scale * f.samples;
  for (size_t r = 0; r < t.out_height(); ++r)
    FUZZ_CHECK(std::memcmp(t.out + r * t.stride, corner + r * whole.stride, row) == 0);
  return 0;
}
