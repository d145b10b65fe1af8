// The batch engine's encode side: every frame of a multi-frame array encoded to its own buffer on the
// worker pool; the caller encapsulates them (encaps_write.h) in one pass.
#pragma once
#include <cstdint>
#include <vector>

#include "batch_decode.h"
#include "deflate_libdeflate.h"
#include "span.h"

namespace framecodec {

// Encodes the n frames held back to back in `pixels` (n x output_frame_size(layout) bytes: native
// little-endian interleaved samples; for Bits Allocated 1 one byte per pixel, non-zero is 1) with `codec`:
// deflate (with `backend` at `level`, check_deflate_level's ranges; Bits Allocated 1 bit-packed first, each
// frame on a byte boundary), rle
// (PS3.5 G.3), or uncompressed (the frame's native bytes, bit-packed for Bits Allocated 1). The layout's
// planar flag is ignored: frames are written interleaved (planar configuration 0). Runs on up to
// worker_count(threads, n) threads (thread_pool.h; under inline_work_bytes of pixels: this thread only).
// Throws std::invalid_argument for a bad layout, level, codec or pixel buffer size.
std::vector<std::vector<uint8_t>> encode_frames(ConstBytes pixels, size_t n, FrameCodec codec,
                                                const FrameLayout& layout, int level, DeflateBackend backend,
                                                unsigned threads);

}  // namespace framecodec
