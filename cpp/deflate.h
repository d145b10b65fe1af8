// Raw RFC 1951 deflate and inflate of one frame through the system zlib
// (DICOM Deflated Image Frame Compression, PS3.5 8.2.16 and A.4.13).
// No global state: a Deflater or Inflater is owned by its caller and used by one thread at a time;
// keeping one per thread saves zlib's ~256 KiB state allocation (and its page faults) on every frame.
#pragma once
#include <memory>

#include "span.h"

struct z_stream_s;

namespace framecodec {

// Upper bound of a raw deflate stream's size for n input bytes at any level.
size_t deflate_bound(size_t n);

class Deflater {
 public:
  // level: -1 (zlib's default, 6) or 0..9; throws std::invalid_argument otherwise.
  explicit Deflater(int level);
  ~Deflater();
  Deflater(const Deflater&) = delete;
  Deflater& operator=(const Deflater&) = delete;

  // Compresses `in` into `out` (out.size >= deflate_bound(in.size)) as one raw deflate stream
  // (window bits -15: no zlib header, no Adler-32). Returns the number of bytes written.
  size_t compress(ConstBytes in, MutBytes out);
  int level() const { return level_; }

 private:
  std::unique_ptr<z_stream_s> s_;
  int level_;
};

class Inflater {
 public:
  Inflater();
  ~Inflater();
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;

  // Decompresses one raw deflate stream that must decode to exactly out.size bytes. After the end
  // of the stream one 0x00 pad byte is allowed (Sup 244 A.4.n pads odd-length streams), nothing else.
  // Never writes past out.size. Throws DecodeError saying what is wrong.
  void decompress(ConstBytes in, MutBytes out);

  // The same for a stream split over `nparts` pieces (the fragments of one frame, in order; the pad byte
  // may only end the last). With a `sink`, the `size` decoded bytes are not written to one buffer but handed
  // to sink(ctx, position, bytes, n) in order, in pieces of at most window.size bytes decoded into `window`;
  // without one, `window` is the whole output and must be `size` bytes.
  using Sink = void (*)(void* ctx, size_t pos, const uint8_t* data, size_t n);
  void decompress(const ConstBytes* parts, size_t nparts, size_t size, MutBytes window, Sink sink = nullptr,
                  void* ctx = nullptr);

 private:
  std::unique_ptr<z_stream_s> s_;
};

// One-shot forms.
size_t deflate_raw(ConstBytes in, MutBytes out, int level);
void inflate_raw(ConstBytes in, MutBytes out);

// Version of the zlib linked in.
const char* linked_zlib_version();

}  // namespace framecodec
