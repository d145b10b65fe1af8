// The batch engine's decode side: a list of frame jobs, each a codestream and a place in one caller-owned
// output buffer, run on the process's worker pool (thread_pool.h) with one Inflater and one scratch window each.
//
// What the output holds, whatever the codec: each frame's pixels as native little-endian samples (the data
// set's own byte order for native big endian data, which is copied as it is), interleaved (planar
// configuration 0; planar input is interleaved on the way), and for Bits Allocated 1 one 0/1 byte per pixel.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "deflate_libdeflate.h"
#include "htj2k_decode.h"
#include "image_codec.h"
#include "j2k_decode.h"
#include "jpeg_decode.h"
#include "jpegls_decode.h"
#include "rle.h"
#include "span.h"

namespace framecodec {

enum class FrameCodec : uint8_t {
  deflate,       // Deflated Image Frame Compression (PS3.5 8.2.16): raw deflate of the native frame
  rle,           // RLE Lossless (PS3.5 Annex G)
  uncompressed,  // Encapsulated Uncompressed Explicit VR Little Endian (1.2.840.10008.1.2.1.98): the native frame
  native,        // native (defined length) Pixel Data: the frame's bytes (or bits) copied out
  jpeg,          // JPEG baseline / extended 8-bit (PS3.5 8.2.1), libjpeg-turbo: jpeg_decode.h
  j2k,           // JPEG 2000 (PS3.5 8.2.4), OpenJPEG: j2k_decode.h
  htj2k,         // HTJ2K (PS3.5 8.2.14), OpenJPH (htj2k_decode.h), else OpenJPEG
  jpegls,        // JPEG-LS (PS3.5 8.2.3), CharLS: jpegls_decode.h
};

// Whether the codec is one of the image codecs of image_codec.h (its codestream checked against the frame).
inline bool image_codec(FrameCodec c) { return c >= FrameCodec::jpeg; }

struct FrameLayout {
  size_t rows = 0, columns = 0, samples_per_pixel = 1;
  size_t bits_allocated = 8;  // 1 or a multiple of 8
  bool planar = false;        // stored with planar configuration 1 (ignored by RLE, whose segments are planes)
  RleSegmentOrder segment_order = RleSegmentOrder::MsbFirst;
  // For the image codecs (ImageFrame): Bits Stored (0: bits_allocated), Pixel Representation, whether the
  // Photometric Interpretation is YBR_*, and whether stored colour components are kept (raw).
  size_t bits_stored = 0;
  bool is_signed = false, ybr = false, raw = false;
};

// The frame as the image codecs see it.
ImageFrame image_frame(const FrameLayout& f);

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
  uint8_t bit_offset = 0;  // native Bits Allocated 1: the frame's first bit in parts[0][0]
  uint8_t* out = nullptr;  // output_frame_size(layout) bytes; unused when `region`
  // A region job decodes target's rectangle of the frame (cropped, and reduced for target.scale > 1) into
  // target.out instead of the whole frame into out; see image_codec.h.
  bool region = false;
  ImageTarget target;
};

// A worker's scratch buffer that grows without zero-filling (std::vector::resize would write every byte):
// new uint8_t[n] leaves the pages untouched, so only what a decoder writes costs memory.
class Scratch {
 public:
  uint8_t* get(size_t n) {
    if (n > size_) {
      data_.reset();  // the old buffer goes first: never both at once
      data_.reset(new uint8_t[n]);
      size_ = n;
    }
    return data_.get();
  }

 private:
  std::unique_ptr<uint8_t[]> data_;
  size_t size_ = 0;
};

// What one worker keeps from frame to frame: an inflater for each backend, zlib's scratch window, a buffer
// to join a frame's fragments (RLE; deflate through libdeflate) and one to hold a whole stored frame
// (libdeflate cannot stream: a 1-bit or planar frame is decoded into it, then unpacked or interleaved).
// One per thread; decode_frames makes one per worker.
class FrameDecoder {
 public:
  // Decodes one job into job.out (output_frame_size(layout) bytes); deflate frames with `inflate`'s backend.
  // Throws DecodeError or EncapsulationError for bad data, std::invalid_argument for a bad layout.
  // A region job: the codec decodes the target itself when it can (image codecs: crops, reduced
  // resolutions), else the whole frame is decoded into a scratch buffer and cropped / reduced (region.h).
  void decode(const FrameJob& job, FrameCodec codec, const FrameLayout& layout, DeflateBackend inflate);

 private:
  void decode_whole(const FrameJob& job, FrameCodec codec, const FrameLayout& layout, DeflateBackend inflate);
  // The image codecs decode `job.target` when given (region jobs), else the whole frame into job.out.
  void decode_image(const FrameJob& job, FrameCodec codec, const FrameLayout& layout, const ImageTarget* target);
  bool decodes_target(FrameCodec codec, const FrameLayout& layout, const ImageTarget& t);

  FrameInflater inflater_;
  std::vector<uint8_t> window_;
  std::vector<uint8_t> joined_;
  Scratch stored_;
  Scratch whole_;  // region jobs of codecs that decode whole frames only
  // Made on a worker's first frame of each codec: most workers only ever see one.
  std::unique_ptr<JpegDecoder> jpeg_;
  std::unique_ptr<J2kDecoder> j2k_;
  std::unique_ptr<Htj2kDecoder> htj2k_;
  std::unique_ptr<JpegLsDecoder> jpegls_;
};

// Checks that every region job's target lies inside its frame and what the caller's output allows is the
// caller's; this checks the rectangle against the layout: std::invalid_argument naming the frame.
void check_region(const FrameJob& job, const FrameLayout& layout);

// What the build decodes each image codec with ("" when the library was not found), for backends().
std::string codec_library(FrameCodec codec);

// A frame that failed, and why.
struct FrameFailure {
  uint64_t frame;
  enum Kind : uint8_t { decode, encapsulation, argument } kind;
  std::string message;
};

// The work of decoding n frames of `codec`, in the bytes of thread_pool.h's inline_work_bytes: the decoded bytes,
// weighed by what a byte of that codec costs (batch_decode.cpp).
size_t decode_work(size_t n, FrameCodec codec, const FrameLayout& layout);

// Decodes every job on up to worker_count(threads, n) threads (0: one per core; 1, or decode_work under
// inline_work_bytes: this thread only), deflate frames with `inflate`'s backend, and returns the failures sorted by
// frame (empty when every frame decoded). Every frame is tried; a failed frame's output is left partly
// written, so the caller must not use it. Never reads outside the parts
// or writes outside a job's output. Throws only for a bad layout or when no memory is left.
std::vector<FrameFailure> decode_frames(const FrameJob* jobs, size_t n, FrameCodec codec, const FrameLayout& layout,
                                        DeflateBackend inflate, unsigned threads);

// Throws the exception for the first failure: DecodeError, EncapsulationError or std::invalid_argument,
// its message "frame N: cause", plus how many other frames failed. Does nothing for none.
void throw_first_failure(const std::vector<FrameFailure>& failures);

}  // namespace framecodec
