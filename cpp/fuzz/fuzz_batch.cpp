// The batch engine on a whole (mutated) file, as pixel_array drives it: locate the Pixel Data, make the frame
// table (Extended Offset Table, Basic Offset Table, one fragment per frame) or the native frames' offsets, and
// decode every frame with the codec of the transfer syntax on one worker and on two; the two must agree.
//
// Input: rows (1 byte), columns (1 byte), samples, bits, planar and backend (1 byte), then the file.
#include <cstring>
#include <stdexcept>
#include <vector>

#include "batch_decode.h"
#include "bitpack.h"
#include "byte_source.h"
#include "dataset_locate.h"
#include "encaps_frames.h"
#include "errors.h"
#include "fuzz_input.h"

using namespace framecodec;
using namespace framecodec::fuzz;

namespace {

constexpr uint64_t kMaxFrames = 64;

bool codec_for(const std::string& ts, FrameCodec* c) {
  if (ts == "1.2.840.10008.1.2.8.1")
    *c = FrameCodec::deflate;
  else if (ts == "1.2.840.10008.1.2.5")
    *c = FrameCodec::rle;
  else if (ts == "1.2.840.10008.1.2.1.98")
    *c = FrameCodec::uncompressed;
  else if (ts == "1.2.840.10008.1.2" || ts == "1.2.840.10008.1.2.1" || ts.empty())
    *c = FrameCodec::native;
  else
    return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in{data, size};
  FrameLayout f;
  f.rows = 1 + in.u8() % 64;
  f.columns = 1 + in.u8() % 64;
  const uint8_t sb = in.u8();
  static const size_t kBits[] = {1, 8, 16, 32};
  f.bits_allocated = kBits[sb % 4];
  f.samples_per_pixel = f.bits_allocated == 1 ? 1 : 1 + (sb >> 2) % 4;
  f.planar = sb & 0x40;
  // Deflate frames through either backend (both runs the same one): libdeflate, decoding's default, when linked.
  const DeflateBackend backend =
      linked_libdeflate_version() && (sb & 0x80) ? DeflateBackend::libdeflate : DeflateBackend::zlib;
  const ConstBytes file = in.rest();

  PixelDataLocation loc;
  try {
    MemorySource src(file);
    loc = locate_pixel_data(src, /*read_extended=*/false);  // as FrameReader opens a file: the EOT read in place
  } catch (const EncapsulationError&) {
    return 0;
  }
  FrameCodec codec;
  if (!codec_for(loc.transfer_syntax, &codec) || (codec == FrameCodec::native) == loc.encapsulated) return 0;
  const uint64_t n = loc.number_of_frames > 0 ? static_cast<uint64_t>(loc.number_of_frames) : 1;
  if (n > kMaxFrames) return 0;

  // Where each frame is, as pixels.py hands it to the engine.
  std::vector<ConstBytes> parts;
  std::vector<size_t> first(n + 1);
  std::vector<uint8_t> bit_offsets(n);
  if (loc.encapsulated) {
    // As FrameReader opens a file: a lazy table (the Basic or Extended Offset Table read where it lies), each
    // frame's items read and checked when it is read (Frames.selected: select_items over the frames read).
    std::vector<uint64_t> offsets, lengths, ff;
    try {
      const bool eot = loc.has_extended_offsets && loc.has_extended_lengths && loc.extended_offsets_count != 0;
      if (eot && loc.extended_offsets_count != loc.extended_lengths_count) return 0;
      const ExtendedOffsets e{file.data + loc.extended_offsets_at, file.data + loc.extended_lengths_at,
                              static_cast<size_t>(loc.extended_offsets_count)};
      const FrameTable t = build_frame_table(file, loc.offset, n, eot ? &e : nullptr, Codestream::none, true);
      std::vector<int64_t> all(n);
      for (uint64_t i = 0; i < n; ++i) all[i] = static_cast<int64_t>(i);
      select_items(file, t, all.data(), n, offsets, lengths, ff);
    } catch (const EncapsulationError&) {
      return 0;
    }
    for (uint64_t i = 0; i < n; ++i) {
      first[i] = parts.size();
      for (uint64_t k = ff[i]; k < ff[i + 1]; ++k)
        parts.push_back({file.data + offsets[k], static_cast<size_t>(lengths[k])});
    }
  } else {
    const uint64_t pixels = f.rows * f.columns * f.samples_per_pixel;
    const uint64_t stored = stored_frame_size(f);
    for (uint64_t i = 0; i < n; ++i) {
      first[i] = parts.size();
      const uint64_t bit = f.bits_allocated == 1 ? i * pixels : 0;
      const uint64_t off = loc.offset + (f.bits_allocated == 1 ? bit / 8 : i * stored);
      const uint64_t len = f.bits_allocated == 1 ? packed_size(bit % 8 + pixels) : stored;
      if (off > file.size || len > file.size - off || loc.length < (off - loc.offset) + len) return 0;
      parts.push_back({file.data + off, static_cast<size_t>(len)});
      bit_offsets[i] = static_cast<uint8_t>(bit % 8);
    }
  }
  first[n] = parts.size();

  const size_t frame_out = output_frame_size(f);
  std::vector<uint8_t> one(n * frame_out), two(n * frame_out);
  std::vector<FrameJob> jobs(n);
  for (uint64_t i = 0; i < n; ++i) {
    jobs[i].frame = i;
    jobs[i].parts = parts.data() + first[i];
    jobs[i].nparts = first[i + 1] - first[i];
    jobs[i].bit_offset = bit_offsets[i];
  }
  std::vector<FrameFailure> fa, fb;
  try {
    for (uint64_t i = 0; i < n; ++i) jobs[i].out = one.data() + i * frame_out;
    fa = decode_frames(jobs.data(), n, codec, f, backend, 1);
    for (uint64_t i = 0; i < n; ++i) jobs[i].out = two.data() + i * frame_out;
    fb = decode_frames(jobs.data(), n, codec, f, backend, 2);
  } catch (const std::invalid_argument&) {
    return 0;  // a layout RLE cannot hold (more than 15 segments)
  }
  FUZZ_CHECK(fa.size() == fb.size());
  for (size_t i = 0; i < fa.size(); ++i) FUZZ_CHECK(fa[i].frame == fb[i].frame && fa[i].message == fb[i].message);
  // Frames that decoded are the same whichever worker took them.
  size_t k = 0;
  for (uint64_t i = 0; i < n; ++i) {
    if (k < fa.size() && fa[k].frame == i) {
      ++k;
      continue;
    }
    FUZZ_CHECK(std::memcmp(one.data() + i * frame_out, two.data() + i * frame_out, frame_out) == 0);
  }
  return 0;
}
