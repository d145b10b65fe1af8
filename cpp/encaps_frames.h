// Which fragments make up each frame of encapsulated Pixel Data (PS3.5 A.4), from the Extended Offset
// Table, the Basic Offset Table, the fragment count, or the codestream's markers, in that order.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "le.h"
#include "span.h"

namespace framecodec {

// How the frame boundaries were found.
enum class FrameSource : uint8_t {
  extended_offset_table,   // (7FE0,0001) and (7FE0,0002), one fragment per frame
  basic_offset_table,      // the BOT's offsets
  one_fragment_per_frame,  // as many fragments as frames, no table
  single_frame,            // one frame takes every fragment
  codestream_markers,      // a frame starts at each fragment that begins with SOI (JPEG) or SOC+SIZ (JPEG 2000)
};

// Which codestream marker starts a frame when only the markers can tell the frames apart.
enum class Codestream : uint8_t {
  detect,    // from the first fragment's first bytes
  jpeg,      // JPEG, JPEG-LS (and lossless JPEG): SOI FFD8
  jpeg2000,  // JPEG 2000 and HTJ2K: SOC FF4F then SIZ FF51
  none,      // a transfer syntax whose frames have no start marker (RLE, deflate, uncompressed, video)
};

// The codestream family of a transfer syntax UID; detect for "" (unknown), none for UIDs without markers.
Codestream codestream_for_transfer_syntax(const std::string& uid);

// The Extended Offset Table's values as they are stored (OV: little-endian uint64, PS3.5 6.2), wherever they lie:
// in the buffer itself (a file's table, read in place) or in extended_offset_bytes' copy of host-order arrays.
struct ExtendedOffsets {
  const uint8_t* offsets = nullptr;  // of each frame's item tag, from the first item after the BOT
  const uint8_t* lengths = nullptr;  // of each frame's item value
  size_t count = 0;
  uint64_t offset(uint64_t i) const { return load_le64(offsets + 8 * i); }
  uint64_t length(uint64_t i) const { return load_le64(lengths + 8 * i); }
};

// Host-order arrays stored as ExtendedOffsets reads them.
struct ExtendedOffsetBytes {
  std::vector<uint8_t> offsets, lengths;
  ExtendedOffsets view() const { return {offsets.data(), lengths.data(), offsets.size() / 8}; }
};
ExtendedOffsetBytes extended_offset_bytes(const uint64_t* offsets, const uint64_t* lengths, size_t count);

// Host-order arrays as ExtendedOffsets: the arrays themselves on a little-endian host, else a copy in `storage`.
inline ExtendedOffsets host_extended_offsets(const uint64_t* offsets, const uint64_t* lengths, size_t count,
                                             ExtendedOffsetBytes& storage) {
#if defined(_WIN32) || (defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)
  (void)storage;
  return {reinterpret_cast<const uint8_t*>(offsets), reinterpret_cast<const uint8_t*>(lengths), count};
#else
  storage = extended_offset_bytes(offsets, lengths, count);
  return storage.view();
#endif
}

struct FrameTable {
  std::vector<uint64_t> offsets;          // each fragment's value, from the start of the buffer
  std::vector<uint64_t> lengths;          // each fragment's length (from the EOT when it gave one)
  std::vector<uint64_t> frame_fragments;  // number_of_frames + 1 entries: frame i is fragments [ff[i], ff[i+1])
  FrameSource source = FrameSource::single_frame;
  uint64_t first_item = 0;  // as FragmentScan
  uint64_t end = 0;
  bool has_delimiter = false;
  // A lazy table (build_frame_table with lazy): the Basic or Extended Offset Table (source says which) read where
  // it lies in the buffer, never copied, and no frame's items read but the first's and last's; offsets, lengths
  // and frame_fragments stay empty (select_items and resolve_items fill them). lazy_frames: the frame count (0: not
  // lazy); table_at: the byte of the table's first offset (uint32 in the BOT, uint64 in the EOT); lengths_at: the
  // EOT's first length; items_end: where the last frame's items end.
  uint64_t lazy_frames = 0, table_at = 0, lengths_at = 0, items_end = 0;

  bool lazy() const { return lazy_frames != 0; }
  uint64_t frames() const { return lazy() ? lazy_frames : frame_fragments.size() - 1; }
};

// Scans the value at `offset` in `buf` (see scan_fragments) and assigns its fragments to
// `number_of_frames` (>= 1) frames. With `eot` (may be null) the Extended Offset Table is used: its
// entries must number the frames, start at 0, increase, and each frame must fit before the next; its first
// and last frames are checked against the data here, the others by verify_extended_frames when read. Otherwise a filled
// Basic Offset Table is used with the same checks (its first offset must be 0). Without either, as many fragments as
// frames are one frame each, a single frame takes all fragments, and more fragments than frames are
// split where a fragment begins with the start marker of `codestream`. Every frame has at least one
// fragment. Throws EncapsulationError naming the frame and the cause when the tables and the data
// disagree, and std::invalid_argument when number_of_frames is 0.
// With an Extended Offset Table only the table, its first and its last frame are checked by
// build_frame_table; this checks frames [begin, end) of such a table (offsets and lengths as in FrameTable,
// n frames) against the data when they are read: each offset lands on an item tag, the item's length is the
// frame's length (or one more, a 0x00 pad byte), and it ends where the next frame's item starts. Throws
// EncapsulationError naming the frame.
void verify_extended_frames(ConstBytes buf, const uint64_t* offsets, const uint64_t* lengths, uint64_t n,
                            uint64_t begin, uint64_t end);

// verify_extended_frames' check of frame i: its value at byte `value`, `length` bytes long; the next frame's value at
// next_value when has_next.
void check_extended_frame(ConstBytes buf, uint64_t i, uint64_t value, uint64_t length, uint64_t next_value,
                          bool has_next);

// lazy: a filled Basic Offset Table, or an Extended Offset Table whose values lie in buf, gives a lazy table
// (FrameTable::lazy_frames): the table is checked, and only its first and last frames' items are read here; each
// other frame's items are read, with the same checks, when it is read (select_items).
FrameTable build_frame_table(ConstBytes buf, uint64_t offset, uint64_t number_of_frames, const ExtendedOffsets* eot,
                             Codestream codestream, bool lazy = false);

// Frame i's items from byte `start` (an item tag) up to `next`, where frame i + 1's first item starts (last: up to
// the sequence delimiter or the end of the data), as the Basic Offset Table gives them (`first_item` is its origin):
// appends each fragment's value offset and length (when offsets and lengths are given), sets *has_delimiter when
// the last frame ends at the delimiter, and returns where its items end. Throws EncapsulationError naming the frame
// when an item is broken, the items do not end exactly at `next`, or the frame has no fragment.
uint64_t walk_frame_items(ConstBytes buf, uint64_t first_item, uint64_t i, uint64_t start, uint64_t next, bool last,
                          std::vector<uint64_t>* offsets, std::vector<uint64_t>* lengths, bool* has_delimiter);

// The eager table of a lazy one, as build_frame_table without lazy finds it: a Basic Offset Table's frames' items
// walked; an Extended Offset Table's offsets and lengths, its items checked when read (verify_extended_frames).
FrameTable resolve_items(ConstBytes buf, const FrameTable& lazy);

// The fragments of `frames` (count indices, each in range) of a table, lazy or not, appended to offsets and lengths,
// with ff (count + 1 entries) saying which are each selected frame's: a lazy table's frames' items are read and
// checked here (throws EncapsulationError naming a broken frame, std::invalid_argument for an index out of range or
// a buffer too small for the table).
void select_items(ConstBytes buf, const FrameTable& table, const int64_t* frames, size_t count,
                  std::vector<uint64_t>& offsets, std::vector<uint64_t>& lengths, std::vector<uint64_t>& ff);

// For a table of a value that ends without its sequence delimiter (in a file, PS3.5 A.4, that means it was cut
// short at an item boundary): whether its last frame is known to be whole all the same. It is when its end is
// fixed: by the Extended Offset Table; by a transfer syntax whose frames are one fragment each (RLE, Deflated
// Image Frame Compression, Encapsulated Uncompressed: PS3.5 A.4.2, 8.2.16, A.4.11) when every frame is one; or,
// for the JPEG family (PS3.5 8.2, A.4), by the last fragment ending with FF D9 (JPEG's and JPEG-LS's EOI, JPEG
// 2000's EOC, which coded data never holds; then padded by one 00) when each frame is found where a start marker
// begins a fragment. A file whose other frames are several fragments each may have lost fragments of its last
// frame, and nothing would tell.
bool last_frame_whole(ConstBytes buf, const FrameTable& t, const std::string& transfer_syntax);

}  // namespace framecodec
