#include "batch_encode.h"

#include <memory>
#include <stdexcept>
#include <string>

#include "bitpack.h"
#include "deflate_libdeflate.h"
#include "rle.h"
#include "thread_pool.h"

namespace framecodec {
namespace {

struct Worker {
  FrameDeflater deflater;        // its deflater is made on first use, at the batch's level
  std::vector<uint8_t> packed;   // a bit-packed 1-bit frame
  std::vector<uint8_t> scratch;  // the encoder's worst case, copied out at the real size
};

}  // namespace

std::vector<std::vector<uint8_t>> encode_frames(ConstBytes pixels, size_t n, FrameCodec codec,
                                                const FrameLayout& layout, int level, DeflateBackend backend,
                                                unsigned threads) {
  check_layout(layout);
  if (codec == FrameCodec::native) throw std::invalid_argument("native Pixel Data is not encoded frame by frame");
  const size_t in_size = output_frame_size(layout);
  if (n != 0 && pixels.size / n != in_size)
    throw std::invalid_argument("the pixels hold " + std::to_string(pixels.size) + " bytes, not " + std::to_string(n) +
                                " frames of " + std::to_string(in_size));
  const RleFrame rf{layout.rows, layout.columns, layout.samples_per_pixel, layout.bits_allocated};
  if (codec == FrameCodec::rle) rle_check_frame(rf);
  if (codec == FrameCodec::deflate) check_deflate_level(backend, level);  // before any work
  const bool bits = layout.bits_allocated == 1;
  const size_t stored = stored_frame_size(layout);

  std::vector<std::vector<uint8_t>> out(n);
  run_parallel<Worker>(n, threads, pixels.size, [&](Worker& w, size_t i) {
    ConstBytes frame{pixels.data + i * in_size, in_size};
    if (bits && codec != FrameCodec::rle) {  // PS3.5 8.2.16: each 1-bit frame is packed on its own
      w.packed.resize(stored);
      pack_bits(frame, {w.packed.data(), stored});
      frame = {w.packed.data(), stored};
    }
    if (codec == FrameCodec::uncompressed) {
      out[i].assign(frame.data, frame.data + frame.size);
      return;
    }
    size_t used;
    if (codec == FrameCodec::deflate) {
      w.scratch.resize(deflate_bound(backend, frame.size));
      used = w.deflater.compress(frame, {w.scratch.data(), w.scratch.size()}, backend, level);
    } else {
      w.scratch.resize(rle_encode_bound(rf));
      used = rle_encode(frame, rf, RleInput::Bytes, {w.scratch.data(), w.scratch.size()});
    }
    out[i].assign(w.scratch.data(), w.scratch.data() + used);
  });
  return out;
}

}  // namespace framecodec
