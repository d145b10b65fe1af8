// The second deflate backend: raw RFC 1951 deflate and inflate of one frame through libdeflate, beside the
// system zlib (deflate.h), for DICOM Deflated Image Frame Compression (PS3.5 8.2.16 and A.4.13).
//
// libdeflate decodes a whole buffer in one call, which is what a DICOM frame gives: the stream and the exact
// size it must decode to. It cannot stream, and its only error is "bad data", so a frame it rejects is decoded
// again by zlib, which says what is wrong. zlib stays the reference and the default encoder: it writes the bytes
// pydicom (Python's zlib) writes; libdeflate encodes faster, and smaller at its levels 10-12.
//
// Built with libdeflate when CMake finds it (FRAMECODEC_HAVE_LIBDEFLATE); without it the libdeflate classes
// throw std::invalid_argument and linked_libdeflate_version() is nullptr. No global state: each object is
// owned by its caller and used by one thread at a time, like zlib's.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "deflate.h"
#include "span.h"

struct libdeflate_decompressor;
struct libdeflate_compressor;

namespace framecodec {

enum class DeflateBackend : uint8_t { zlib, libdeflate };

const char* backend_name(DeflateBackend b);
// The libdeflate this build links ("1.14"), or nullptr when it was built without.
const char* linked_libdeflate_version();

// Throws std::invalid_argument when b is libdeflate and this build has none.
void check_backend(DeflateBackend b);
// Throws std::invalid_argument as check_backend does, or naming the backend's levels: zlib -1 (its default, 6) or 0..9;
// libdeflate -1 (6) or 0..12 (0: stored blocks; 10-12: its slow, smallest levels).
void check_deflate_level(DeflateBackend b, int level);
// Upper bound of a raw deflate stream's size for n input bytes, at any level of backend b.
size_t deflate_bound(DeflateBackend b, size_t n);

class LibdeflateInflater {
 public:
  LibdeflateInflater();
  ~LibdeflateInflater();
  LibdeflateInflater(const LibdeflateInflater&) = delete;
  LibdeflateInflater& operator=(const LibdeflateInflater&) = delete;

  // Inflater::decompress's contract: the stream decodes to exactly out.size bytes, one 0x00 pad byte may
  // follow it (Sup 244 A.4.n) and nothing else, and nothing is written past out.size. A stream libdeflate
  // rejects goes to explain_rejected (below) with `zlib`, which throws zlib's DecodeError.
  void decompress(ConstBytes in, MutBytes out, Inflater& zlib);

 private:
  libdeflate_decompressor* d_;
  std::vector<uint8_t> padded_;  // a well-compressed stream with zero bytes after it (see decompress)
};

// zlib's verdict on a frame libdeflate rejected. zlib decodes it again into a scratch window, writing nothing
// the caller sees, and throws its own DecodeError (the message zlib alone gives today). Should zlib accept
// the frame, the two decoders disagree: that is a DecodeError too, saying so. Never returns.
[[noreturn]] void explain_rejected(Inflater& zlib, ConstBytes in, size_t size);

class LibdeflateDeflater {
 public:
  explicit LibdeflateDeflater(int level);  // -1 or 0..12; throws std::invalid_argument otherwise
  ~LibdeflateDeflater();
  LibdeflateDeflater(const LibdeflateDeflater&) = delete;
  LibdeflateDeflater& operator=(const LibdeflateDeflater&) = delete;

  // Compresses `in` into `out` (out.size >= deflate_bound(libdeflate, in.size)) as one raw deflate stream.
  // Returns the number of bytes written.
  size_t compress(ConstBytes in, MutBytes out);
  int level() const { return level_; }

 private:
  libdeflate_compressor* c_;
  int level_;
};

// What a thread keeps to inflate frames with either backend: zlib's stream, always (the reference, and the
// one that explains libdeflate's rejections), and libdeflate's decompressor, made on first use.
class FrameInflater {
 public:
  void decompress(ConstBytes in, MutBytes out, DeflateBackend b);
  Inflater& zlib() { return zlib_; }
  LibdeflateInflater& libdeflate();

 private:
  Inflater zlib_;
  std::unique_ptr<LibdeflateInflater> libdeflate_;
};

// The same for encoding: one deflater per backend and level, made on first use.
class FrameDeflater {
 public:
  // Compresses into `out`, which must hold deflate_bound(b, in.size) bytes.
  size_t compress(ConstBytes in, MutBytes out, DeflateBackend b, int level);

 private:
  std::unique_ptr<Deflater> zlib_[10];
  std::unique_ptr<LibdeflateDeflater> libdeflate_[13];
};

}  // namespace framecodec
