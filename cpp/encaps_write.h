// Writing encapsulated Pixel Data (PS3.5 A.4): a Basic Offset Table item, one fragment item per frame,
// each value padded to even length with one 0x00, and optionally the sequence delimiter.
// The bytes equal pydicom's encapsulate() (which leaves the delimiter to its file writer).
#pragma once
#include <cstdint>

#include "span.h"

namespace framecodec {

enum class OffsetTable : uint8_t {
  basic,     // the BOT holds each frame's offset (uint32)
  extended,  // the BOT is empty; the caller stores extended_offset_table()'s values in (7FE0,0001/0002)
  none,      // the BOT is empty
};

// The size of the encapsulated value of these frames. Throws EncapsulationError when a frame is empty
// (PS3.5 A.4: fragments hold at least 2 bytes; pydicom refuses them too), longer than an item can hold
// (4294967294 bytes) or, for `basic`, when a frame's offset would not fit the BOT's uint32 (the message
// points to the Extended Offset Table).
uint64_t encapsulated_size(const ConstBytes* frames, uint64_t n, OffsetTable table, bool delimiter);

// Writes the encapsulated value into `out`, which must be exactly encapsulated_size() bytes
// (std::invalid_argument otherwise).
void encapsulate(const ConstBytes* frames, uint64_t n, OffsetTable table, bool delimiter, MutBytes out);

// The Extended Offset Table's values for these frames (PS3.3 C.7.6.3.1.8): each item tag's offset from
// the first item after the empty BOT, and each item's (padded) value length.
void extended_offset_table(const ConstBytes* frames, uint64_t n, uint64_t* offsets, uint64_t* lengths);

}  // namespace framecodec
