// The batch engine's decode side: a list of frame jobs, each a codestream and a place in one caller-owned
// output buffer, run on a small pool of workers (thread_pool.h) with one Inflater and one scratch window each.
//
// What the output holds, whatever the codec: each frame's pixels as native little-endian samples (the data
// set's own byte order for native big endian data, which is copied as it is), interleaved (planar
// configuration 0; planar input is interleaved on the way), and for Bits Allocated 1 one 0/1 byte per pixel.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "deflate_libdeflate.h"
#include "rle.h"
#include "span.h"

namespace framecodec {

enum class FrameCodec : uint8_t {
  deflate,       // Deflated Image Frame Compression (PS3.5 8.2.16): raw deflate of the native frame
  rle,           // RLE Lossless (PS3.5 Annex G)
  uncompressed,  // Encapsulated Uncompressed Explicit VR Little Endian (1.2.840.10008.1.2.1.98): the native frame
  native,        // native (defined length) Pixel Data: the frame's bytes (or bits) copied out
};

struct FrameLayout {
  size_t rows = 0, columns = 0, samples_per_pixel = 1;
  size_t bits_allocated = 8;  // 1 or a multiple of 8
  bool planar = false;        // stored with planar configuration 1 (ignored by RLE, whose segments are planes)
  RleSegmentOrder segment_order = RleSegmentOrder::MsbFirst;
};

// Throws std::invalid_argument naming the problem: zero rows, columns or samples, Bits Allocated not 1 or a
// multiple of 8 (or more than 64), Bits Allocated 1 with several samples, or a frame too large to address.
void check_layout(const FrameLayout& f);
// The stored size of one frame as deflate or the native encodings hold it: bit-packed for Bits Allocated 1
// (each frame on a byte boundary, PS3.5 8.2.16 and A.4.13), else rows x columns x samples x bytes.
size_t stored_frame_size(const FrameLayout& f);
// The decoded size of one frame in the output: one byte per pixel for Bits Allocated 1.
size_t output_frame_size(const FrameLayout& f);

struct FrameJob {
  uint64_t frame = 0;                 // its index in the data set, for messages
  const ConstBytes* parts = nullptr;  // its fragments in order (native: one span covering the frame)
  size_t nparts = 0;
  uint8_t bit_offset = 0;             // native Bits Allocated 1: the frame's first bit in parts[0][0]
  uint8_t* out = nullptr;             // output_frame_size(layout) bytes
};

// What one worker keeps from frame to frame: an inflater for each backend, zlib's scratch window, a buffer
// to join a frame's fragments (RLE; deflate through libdeflate) and one to hold a whole stored frame
// (libdeflate cannot stream: a 1-bit or planar frame is decoded into it, then unpacked or interleaved).
// One per thread; decode_frames makes one per worker.
class FrameDecoder {
 public:
  // Decodes one job into job.out (output_frame_size(layout) bytes); deflate frames with `inflate`'s backend.
  // Throws DecodeError or EncapsulationError for bad data, std::invalid_argument for a bad layout.
  void decode(const FrameJob& job, FrameCodec codec, const FrameLayout& layout, DeflateBackend inflate);

 private:
  FrameInflater inflater_;
  std::vector<uint8_t> window_;
  std::vector<uint8_t> joined_;
  std::vector<uint8_t> stored_;
};

// A frame that failed, and why.
struct FrameFailure {
  uint64_t frame;
  enum Kind : uint8_t { decode, encapsulation, argument } kind;
  std::string message;
};

// Decodes every job on worker_count(threads, n) workers (0: one per core; 1: this thread only), deflate
// frames with `inflate`'s backend, and returns the failures sorted by frame (empty when every frame decoded). Every frame is tried; a failed
// frame's output is left partly written, so the caller must not use it. Never reads outside the parts
// or writes outside a job's output. Throws only for a bad layout or when no memory is left.
std::vector<FrameFailure> decode_frames(const FrameJob* jobs, size_t n, FrameCodec codec, const FrameLayout& layout,
                                        DeflateBackend inflate, unsigned threads);

// Throws the exception for the first failure: DecodeError, EncapsulationError or std::invalid_argument,
// its message "frame N: cause", plus how many other frames failed. Does nothing for none.
void throw_first_failure(const std::vector<FrameFailure>& failures);

}  // namespace framecodec
