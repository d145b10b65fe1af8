// rle_decode in every layout (bits allocated 1, 8, 16, 32, 64; 1 to 15 samples; either segment order;
// interleaved or planar), chosen from the input's first bytes; the batch engine's RLE path on the same data
// split over two fragments must agree with it; rle_encode -> rle_decode round trips.
//
// Input: bits (1 byte), samples (1 byte), rows (1 byte), columns (1 byte), flags (1 byte), then the frame.
#include <cstring>
#include <stdexcept>
#include <vector>

#include "batch_decode.h"
#include "errors.h"
#include "fuzz_input.h"
#include "rle.h"

using namespace framecodec;
using namespace framecodec::fuzz;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in{data, size};
  static const size_t kBits[] = {1, 8, 16, 32, 64};
  RleFrame f;
  f.bits_allocated = kBits[in.u8() % 5];
  f.samples_per_pixel = 1 + in.u8() % 15;
  f.rows = 1 + in.u8();
  f.columns = 1 + in.u8();
  const uint8_t flags = in.u8();
  const RleSegmentOrder order = flags & 1 ? RleSegmentOrder::LsbFirst : RleSegmentOrder::MsbFirst;
  const bool planar = flags & 2;
  const bool round_trip = flags & 4;
  const ConstBytes frame = in.rest();
  try {
    rle_check_frame(f);
  } catch (const std::invalid_argument&) {
    return 0;  // too many segments for this layout: refused up front, as the bindings do
  }
  const size_t out_size = rle_decoded_size(f);

  if (round_trip) {  // the bytes as pixels: encode, decode, compare
    std::vector<uint8_t> pixels(out_size);
    for (size_t i = 0; i < out_size; ++i) pixels[i] = frame.size ? frame.data[i % frame.size] : 0;
    if (f.bits_allocated == 1)
      for (auto& v : pixels) v = v != 0;
    std::vector<uint8_t> encoded(rle_encode_bound(f));
    const size_t n = rle_encode({pixels.data(), pixels.size()}, f, RleInput::Bytes, {encoded.data(), encoded.size()});
    FUZZ_CHECK(n <= encoded.size() && n % 2 == 0);
    std::vector<uint8_t> back(out_size);
    rle_decode({encoded.data(), n}, f, RleSegmentOrder::MsbFirst, false, {back.data(), back.size()});
    FUZZ_CHECK(back == pixels);
    return 0;
  }

  std::vector<uint8_t> out(out_size);
  bool ok = true;
  try {
    rle_decode(frame, f, order, planar, {out.data(), out.size()});
  } catch (const DecodeError&) {
    ok = false;
  }
  if (planar) return 0;
  // The batch engine joins a frame's fragments before decoding: the same result from two pieces.
  FrameLayout layout;
  layout.rows = f.rows;
  layout.columns = f.columns;
  layout.samples_per_pixel = f.samples_per_pixel;
  layout.bits_allocated = f.bits_allocated;
  layout.segment_order = order;
  const size_t cut = frame.size * (flags >> 3) / 31;
  const ConstBytes parts[2] = {{frame.data, cut}, {frame.data + cut, frame.size - cut}};
  FrameJob job;
  job.parts = parts;
  job.nparts = 2;
  std::vector<uint8_t> engine(out_size);
  job.out = engine.data();
  thread_local FrameDecoder decoder;
  bool engine_ok = true;
  try {
    decoder.decode(job, FrameCodec::rle, layout, DeflateBackend::zlib);
  } catch (const DecodeError&) {
    engine_ok = false;
  }
  FUZZ_CHECK(ok == engine_ok);
  if (ok) FUZZ_CHECK(out == engine);
  return 0;
}
