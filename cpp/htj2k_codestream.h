// The HTJ2K codestream (ISO 15444-1 A.4-A.6, ISO 15444-15) walked marker by marker before OpenJPH 0.9.0 reads it:
// what it would decode wrongly, or crash on, is refused here (htj2k_decode.cpp says why).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "image_codec.h"

namespace framecodec {

// A component's sample range: OpenJPEG clamps to it, OpenJPH does not.
struct Htj2kRange {
  int32_t lo, hi;
};

// What the walk learns: SIZ's geometry (ISO 15444-1 A.5.1) and COD's (A.6.1).
struct Htj2kHeader {
  uint32_t x0 = 0, y0 = 0, x1 = 0, y1 = 0;  // XOsiz, YOsiz, Xsiz, Ysiz
  uint32_t levels = 0;                      // decomposition levels
  size_t psot_at = 0, psot = 0;             // a tile-part with Psot 0 (runs to EOC): where, and its real length
};

// The walk, and the tables it fills, kept from frame to frame.
struct Htj2kWalk {
  std::vector<Htj2kRange> range;     // per component
  std::vector<uint16_t> parts_seen;  // per tile: tile-parts so far
  std::vector<uint8_t> parts_total;  // per tile: TNsot, 0 when no tile-part said
  std::vector<uint8_t> kinds;        // per tile column, then per tile row, per level: axis_kinds

  // SIZ against the frame of the data set, COD / QCD / QCC within what OpenJPH 0.9.0 reads correctly, every
  // tile-part inside the buffer and free of marker codes, every tile present, EOC at the end; fills ``range``.
  // Throws DecodeError for a broken codestream, Unsupported for one OpenJPH 0.9.0 would decode wrongly.
  Htj2kHeader walk(ConstBytes in, const ImageFrame& f);
};

}  // namespace framecodec
