// Walking the item sequence of an encapsulated Pixel Data value (PS3.5 A.4) without copying it:
// where every fragment is, what the Basic Offset Table holds, and where the sequence ends.
#pragma once
#include <cstdint>
#include <vector>

#include "le.h"
#include "span.h"
#include "tags.h"

namespace framecodec {

// The Basic Offset Table item that starts a value (PS3.5 A.4): its uint32 values stay in the buffer.
struct BasicOffsetTable {
  const uint8_t* values = nullptr;  // count little-endian uint32
  uint64_t count = 0;
  uint64_t first_item = 0;  // the item tag after the table: where BOT and EOT offsets count from
  uint64_t at(uint64_t i) const { return load_le32(values + 4 * i); }
};

// Reads the Basic Offset Table item at `offset`. Throws EncapsulationError when it is missing, has another
// tag, an undefined length or one that is not a multiple of 4, or runs past the end of `buf`; throws
// std::invalid_argument when offset > buf.size.
BasicOffsetTable read_basic_offset_table(ConstBytes buf, uint64_t offset);

// One step of the walk after the Basic Offset Table.
enum class ItemKind : uint8_t { fragment, delimiter, end_of_data };
struct ItemHeader {
  ItemKind kind;
  uint32_t length;  // of a fragment's value
};

// Throws the EncapsulationError that describes why the item header at `pos` is not acceptable.
[[noreturn]] void throw_bad_item(ConstBytes buf, uint64_t pos);

// The item header at pos (pos <= buf.size): a fragment whose value lies within `buf`, the sequence
// delimiter (FFFE,E0DD; its length is ignored), or the end of the data. Throws EncapsulationError naming
// the offset for a truncated header, an undefined length, a value past the end, or any other tag.
inline ItemHeader read_item(ConstBytes buf, uint64_t pos) {
  if (pos == buf.size) return {ItemKind::end_of_data, 0};
  if (buf.size - pos < 8) throw_bad_item(buf, pos);
  const uint32_t tag = load_tag_le(buf.data + pos);
  const uint32_t len = load_le32(buf.data + pos + 4);
  if (tag == kItemTag) {
    if (len == kUndefinedLength || len > buf.size - pos - 8) throw_bad_item(buf, pos);
    return {ItemKind::fragment, len};
  }
  if (tag == kSequenceDelimitationTag) return {ItemKind::delimiter, 0};  // PS3.5 7.5: length 0, not checked
  throw_bad_item(buf, pos);
}

struct FragmentScan {
  std::vector<uint64_t> offsets;  // each fragment's value, from the start of the buffer (past its 8-byte item header)
  std::vector<uint64_t> lengths;  // each fragment's value length (odd lengths are reported as they are)
  std::vector<uint64_t> basic_offsets;  // the Basic Offset Table's uint32 values; empty when the table is empty
  uint64_t first_item = 0;              // the item tag after the Basic Offset Table
  uint64_t end = 0;                     // just past the sequence delimiter item, or the end of the buffer without one
  bool has_delimiter = false;           // the sequence delimiter (FFFE,E0DD) was found
};

// Walks the value that starts at `offset` in `buf` (the Basic Offset Table's item tag) up to the sequence
// delimiter or the end of `buf`, whichever comes first, with the errors of read_basic_offset_table and
// read_item. Never reads outside `buf`; every step advances by at least 8 bytes.
FragmentScan scan_fragments(ConstBytes buf, uint64_t offset);

// The items of a value read in blocks: an index of a remote file whose Basic Offset Table is empty and that
// has no Extended Offset Table is only found by walking the item headers, and a frame's bytes need not be
// fetched to step over them. Offsets are absolute in the file (base + position in the block).
struct ItemWalk {
  std::vector<uint64_t> positions;  // each item's tag
  std::vector<uint64_t> lengths;    // each item's value length
  std::vector<uint8_t> heads;       // 4 per item: its first value bytes (a codestream's marker), zero past its length
  uint64_t next = 0;                // the next item to read, possibly past the block; past the delimiter when done
  bool done = false;                // the sequence delimiter (FFFE,E0DD) was met
};

// Walks the items (FFFE,E000) of `buf`, the bytes of a file from absolute offset `base`, from position `offset`
// (an item tag): records each item whose 8-byte header and first min(4, length) value bytes lie in `buf`, and
// stops at the first that does not (next = its offset, which may lie past the block when an item is longer
// than the rest of it) or after the sequence delimiter (done). Throws EncapsulationError naming the absolute
// offset for any other tag, an undefined length, an offset past the end of `buf`, or offsets past 2**64 - 1.
// The walk over a value cut into blocks at any positions, each resumed from `next`, finds the items of one walk.
ItemWalk walk_items(ConstBytes buf, uint64_t offset, uint64_t base);

}  // namespace framecodec
