// Walking the item sequence of an encapsulated Pixel Data value (PS3.5 A.4) without copying it:
// where every fragment is, what the Basic Offset Table holds, and where the sequence ends.
#pragma once
#include <cstdint>
#include <vector>

#include "span.h"

namespace framecodec {

struct FragmentScan {
  std::vector<uint64_t> offsets;        // each fragment's value, from the start of the buffer (past its 8-byte item header)
  std::vector<uint64_t> lengths;        // each fragment's value length (odd lengths are reported as they are)
  std::vector<uint64_t> basic_offsets;  // the Basic Offset Table's uint32 values; empty when the table is empty
  uint64_t first_item = 0;              // the item tag after the Basic Offset Table: where BOT and EOT offsets count from
  uint64_t end = 0;                     // just past the sequence delimiter item, or the end of the buffer without one
  bool has_delimiter = false;           // the sequence delimiter (FFFE,E0DD) was found
};

// Walks the value that starts at `offset` in `buf` (the Basic Offset Table's item tag) up to the sequence
// delimiter or the end of `buf`, whichever comes first. Throws EncapsulationError naming the byte offset
// (from the start of `buf`) when the first item is not the Basic Offset Table, an item has undefined
// length, a tag other than an item or the sequence delimiter appears, or an item header or value runs
// past the end of `buf`. Throws std::invalid_argument when offset > buf.size. Never reads outside `buf`.
FragmentScan scan_fragments(ConstBytes buf, uint64_t offset);

}  // namespace framecodec
