// JpegLsDecoder (CharLS) on any codestream, for a frame chosen from the input's first bytes: it either decodes or
// throws DecodeError / std::invalid_argument, and never writes outside the frame's rows (guard bytes before and
// after the frame and in each row's padding) whatever the codestream's header claims. A frame that decodes decodes
// to the same pixels again (the reused decoder keeps nothing from frame to frame), and into a packed target.
//
// Input: rows (1 byte), columns (1 byte), flags (1 byte), bits stored (1 byte), row padding (1 byte), then the
// codestream. Rows and columns are 1 + the byte (1..256); flags bit 0: 3 samples (else 1), bit 1: Bits Allocated 16
// (else 8), bit 2: signed, bit 3: Bits Allocated 32 (over bit 1). Bits stored is 1 + the byte modulo Bits Allocated.
#include <cstring>
#include <stdexcept>
#include <vector>

#include "errors.h"
#include "fuzz_input.h"
#include "jpegls_decode.h"

using namespace framecodec;
using namespace framecodec::fuzz;

namespace {

constexpr size_t kGuard = 64;
constexpr uint8_t kFill = 0xA5;

// Decodes into rows `stride` bytes apart with guard bytes around them; false for the exceptions a bad codestream
// may raise. Aborts (a finding) if a byte outside the frame's rows changed.
bool decode_guarded(JpegLsDecoder& decoder, ConstBytes codestream, const ImageFrame& f, size_t stride,
                    std::vector<uint8_t>& buffer) {
  const size_t row = f.columns * f.samples * (f.bits_allocated / 8);
  buffer.assign(kGuard + stride * f.rows + kGuard, kFill);
  ImageTarget t = whole_frame(f, buffer.data() + kGuard);
  t.stride = stride;
  FUZZ_CHECK(decoder.supports(f, t));
  bool ok = true;
  try {
    decoder.decode(codestream, f, t);
  } catch (const DecodeError&) {
    ok = false;
  } catch (const std::invalid_argument&) {
    ok = false;
  }
  for (size_t i = 0; i < kGuard; ++i) {
    FUZZ_CHECK(buffer[i] == kFill);
    FUZZ_CHECK(buffer[buffer.size() - 1 - i] == kFill);
  }
  for (size_t y = 0; y < f.rows; ++y)
    for (size_t i = row; i < stride; ++i) FUZZ_CHECK(buffer[kGuard + y * stride + i] == kFill);
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
  f.bits_allocated = flags & 8 ? 32 : flags & 2 ? 16 : 8;
  f.bits_stored = 1 + in.u8() % f.bits_allocated;
  f.is_signed = flags & 4;
  const size_t pad = in.u8() % 8;
  const ConstBytes codestream = in.rest();

  static const bool have_charls = !jpegls_library().empty();
  if (!have_charls) return 0;  // built without CharLS: decode() only says so
  thread_local JpegLsDecoder decoder;
  const size_t row = f.columns * f.samples * (f.bits_allocated / 8);
  std::vector<uint8_t> padded, packed;
  const bool ok = decode_guarded(decoder, codestream, f, row + pad, padded);
  if (!ok) return 0;

  // The same codestream again, packed: the same pixels (the scratch buffers kept from the frame before hold nothing
  // that leaks into this one).
  FUZZ_CHECK(decode_guarded(decoder, codestream, f, row, packed));
  for (size_t y = 0; y < f.rows; ++y)
    FUZZ_CHECK(std::memcmp(padded.data() + kGuard + y * (row + pad), packed.data() + kGuard + y * row, row) == 0);

  // A target the decoder does not produce itself is refused, not decoded.
  ImageTarget part = whole_frame(f, packed.data() + kGuard);
  part.scale = 2;
  FUZZ_CHECK(!decoder.supports(f, part));
  bool refused = false;
  try {
    decoder.decode(codestream, f, part);
  } catch (const std::invalid_argument&) {
    refused = true;
  }
  FUZZ_CHECK(refused);
  return 0;
}
