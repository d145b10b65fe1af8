// What the image codecs (JPEG, JPEG 2000, HTJ2K, JPEG-LS: one file pair each, each wrapping a system library)
// share: the frame the data set describes, which they check their codestream's header against before they
// allocate anything, and the part of the frame to decode and where it goes.
//
// Output samples are interleaved (colour-by-pixel), native little-endian, bits_allocated / 8 bytes each.
#pragma once
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "span.h"

namespace framecodec {

// A valid codestream that this codec's library cannot decode correctly (a feature it lacks); the engine hands it
// to another decoder of the same codestreams when it has one (HTJ2K: OpenJPH, then OpenJPEG).
class Unsupported : public std::invalid_argument {
 public:
  explicit Unsupported(const std::string& what) : std::invalid_argument(what) {}
};

// The frame as the data set describes it (PS3.3 C.7.6.3). PS3.5 8.2: Rows, Columns, Samples per Pixel and
// Bits Stored must agree with the codestream's own header; a codec refuses a codestream that disagrees
// (DecodeError naming both values) before it decodes.
struct ImageFrame {
  size_t rows = 0, columns = 0, samples = 1;
  size_t bits_allocated = 8;  // 8, 16 or 32: the output container
  size_t bits_stored = 8;
  bool is_signed = false;  // Pixel Representation 1
  bool ybr = false;        // the Photometric Interpretation is one of the YBR_* family
  bool raw = false;        // keep the stored colour components (pydicom's raw=True): no YCbCr -> RGB
};

// The rectangle of a frame to decode, in full-resolution frame pixels, and where its pixels go. `scale` 1, 2,
// 4 or 8: each output pixel stands for a scale x scale block of the rectangle (the last column and row may
// stand for a partial block), so the output is ceil(width / scale) x ceil(height / scale) pixels; x and y are
// multiples of scale.
struct ImageTarget {
  uint8_t* out = nullptr;  // output pixel (0, 0)
  size_t stride = 0;       // bytes from one output row to the next
  size_t x = 0, y = 0, width = 0, height = 0;
  unsigned scale = 1;

  size_t out_width() const { return (width + scale - 1) / scale; }
  size_t out_height() const { return (height + scale - 1) / scale; }
  bool whole(const ImageFrame& f) const { return x == 0 && y == 0 && width == f.columns && height == f.rows; }
};

// The whole frame, packed: what pixel_array and FrameReader[i] decode into.
inline ImageTarget whole_frame(const ImageFrame& f, uint8_t* out) {
  ImageTarget t;
  t.out = out;
  t.stride = f.columns * f.samples * (f.bits_allocated / 8);
  t.width = f.columns;
  t.height = f.rows;
  return t;
}

// What a codec's decoder offers the engine, one instance per worker (it keeps the library's state and its
// scratch buffers from frame to frame):
//
//   bool supports(const ImageFrame&, const ImageTarget&) const;
//     whether decode() produces this target itself (a crop, a reduced resolution); if not, the engine
//     decodes the whole frame at full resolution and crops and area-averages it (region.h).
//   void decode(ConstBytes codestream, const ImageFrame&, const ImageTarget&);
//     throws DecodeError for a corrupt, truncated or inconsistent codestream, std::invalid_argument for a
//     frame the codec cannot produce (e.g. 12-bit JPEG); never writes outside the target's rectangle.
//
// and, as free functions, the library it was built with: "<name> <version>", or an empty string when the
// build did not find it (then decode() throws std::invalid_argument saying what to install).

}  // namespace framecodec
