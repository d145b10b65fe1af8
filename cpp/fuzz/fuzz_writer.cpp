// The writer's native half, as FrameWriter drives it: a batch of frames encoded on the pool (deflate through
// either backend at any of its levels, RLE, Encapsulated Uncompressed), encapsulated with an empty Basic Offset
// Table and the Extended Offset Table's values, the frame table built again from the value and those values, and
// every frame decoded back on one worker and on two: the pixels must be the ones given (1-bit: non-zero is 1).
//
// Input: rows, columns (1 byte each), samples and bits (1 byte), codec, backend and level (1 byte), frames
// (1 byte), then the pixels (repeated to fill the frames: every input is valid).
#include <cstring>
#include <stdexcept>
#include <vector>

#include "batch_decode.h"
#include "batch_encode.h"
#include "encaps_frames.h"
#include "encaps_write.h"
#include "errors.h"
#include "fuzz_input.h"

using namespace framecodec;
using namespace framecodec::fuzz;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in{data, size};
  FrameLayout f;
  f.rows = 1 + in.u8() % 48;
  f.columns = 1 + in.u8() % 48;
  const uint8_t sb = in.u8();
  static const size_t kBits[] = {1, 8, 16, 32};
  f.bits_allocated = kBits[sb % 4];
  f.samples_per_pixel = f.bits_allocated == 1 ? 1 : 1 + (sb >> 2) % 3;
  const uint8_t cb = in.u8();
  static const FrameCodec kCodecs[] = {FrameCodec::deflate, FrameCodec::rle, FrameCodec::uncompressed};
  const FrameCodec codec = kCodecs[cb % 3];
  const DeflateBackend backend =
      linked_libdeflate_version() && (cb & 0x04) ? DeflateBackend::libdeflate : DeflateBackend::zlib;
  const int level = backend == DeflateBackend::libdeflate ? (cb >> 3) % 13 : static_cast<int>((cb >> 3) % 11) - 1;
  const size_t n = 1 + in.u8() % 6;
  const ConstBytes given = in.rest();

  const size_t frame = output_frame_size(f);
  std::vector<uint8_t> pixels(n * frame);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = given.size ? given.data[i % given.size] : 0;

  std::vector<std::vector<uint8_t>> encoded;
  try {
    encoded = encode_frames({pixels.data(), pixels.size()}, n, codec, f, level, backend, 1 + (cb >> 7));
  } catch (const std::invalid_argument&) {
    return 0;  // a layout RLE cannot hold (more than 15 segments)
  }
  FUZZ_CHECK(encoded.size() == n);
  std::vector<ConstBytes> frames(n);
  for (size_t i = 0; i < n; ++i) frames[i] = {encoded[i].data(), encoded[i].size()};

  // As FrameWriter writes them: items after an empty BOT, the Extended Offset Table's values kept aside.
  std::vector<uint8_t> value(encapsulated_size(frames.data(), n, OffsetTable::extended, true));
  encapsulate(frames.data(), n, OffsetTable::extended, true, {value.data(), value.size()});
  std::vector<uint64_t> offsets(n), lengths(n);
  extended_offset_table(frames.data(), n, offsets.data(), lengths.data());
  const ExtendedOffsetBytes eot = extended_offset_bytes(offsets.data(), lengths.data(), n);
  const ExtendedOffsets e = eot.view();
  const ConstBytes buf{value.data(), value.size()};
  FrameTable t;
  try {
    t = build_frame_table(buf, 0, n, &e, Codestream::none);
    verify_extended_frames(buf, t.offsets.data(), t.lengths.data(), n, 0, n);
  } catch (const EncapsulationError& err) {
    std::fprintf(stderr, "the writer's own value is refused: %s\n", err.what());
    FUZZ_CHECK(false);
  }

  std::vector<ConstBytes> parts(n);
  std::vector<FrameJob> jobs(n);
  std::vector<uint8_t> back(n * frame);
  for (unsigned threads : {1u, 2u}) {
    for (size_t i = 0; i < n; ++i) {
      FUZZ_CHECK(t.frame_fragments[i + 1] - t.frame_fragments[i] == 1);
      const uint64_t k = t.frame_fragments[i];
      parts[i] = {value.data() + t.offsets[k], static_cast<size_t>(t.lengths[k])};
      jobs[i].frame = i;
      jobs[i].parts = &parts[i];
      jobs[i].nparts = 1;
      jobs[i].out = back.data() + i * frame;
    }
    std::memset(back.data(), 0xA5, back.size());
    const std::vector<FrameFailure> failed = decode_frames(jobs.data(), n, codec, f, DeflateBackend::zlib, threads);
    FUZZ_CHECK(failed.empty());
    for (size_t i = 0; i < back.size(); ++i)
      FUZZ_CHECK(back[i] == (f.bits_allocated == 1 ? uint8_t(pixels[i] != 0) : pixels[i]));
  }
  return 0;
}
