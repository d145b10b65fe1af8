#include "encaps_frames.h"

#include <cstdlib>
#include <stdexcept>

#include "encaps_scan.h"
#include "errors.h"

namespace framecodec {

namespace {

[[noreturn]] void fail(const std::string& msg) { throw EncapsulationError(msg); }

std::string frame_msg(uint64_t i) { return "frame " + std::to_string(i) + ": "; }

const char* codestream_name(Codestream c) {
  return c == Codestream::jpeg ? "a JPEG SOI marker (FFD8)" : "a JPEG 2000 SOC and SIZ marker (FF4F FF51)";
}

bool starts_frame(const uint8_t* d, uint64_t offset, uint64_t length, Codestream c) {
  const uint8_t* p = d + offset;
  if (c == Codestream::jpeg) return length >= 2 && p[0] == 0xFF && p[1] == 0xD8;       // PS3.5 A.4.1: SOI
  return length >= 4 && p[0] == 0xFF && p[1] == 0x4F && p[2] == 0xFF && p[3] == 0x51;  // A.4.4: SOC then SIZ
}

// The item headers are spread over the whole value, one cache miss each; the table says where the next
// ones are, so ask for them early.
constexpr uint64_t kPrefetchAhead = 16;

inline void prefetch_item(ConstBytes buf, uint64_t first_item, uint64_t off) {
#if defined(__GNUC__) || defined(__clang__)
  if (off < buf.size - first_item) __builtin_prefetch(buf.data + first_item + off);
#else
  (void)buf, (void)first_item, (void)off;
#endif
}

// Reads an item header of frame i's items, naming the frame when it is broken.
ItemHeader frame_item(ConstBytes buf, uint64_t i, uint64_t pos) {
  try {
    return read_item(buf, pos);
  } catch (const EncapsulationError& e) {
    fail(frame_msg(i) + e.what());
  }
}

// The Basic Offset Table's own consistency (PS3.5 A.4): it starts at the first item, increases, and stays inside
// the data. Its item headers are not read here.
void check_basic_offsets(ConstBytes buf, uint64_t first_item, uint64_t n, const BasicOffsetTable& bot) {
  const uint64_t limit = buf.size - first_item;  // the largest offset that is still inside the buffer
  if (bot.at(0) != 0)
    fail(frame_msg(0) + "the Basic Offset Table offset is " + std::to_string(bot.at(0)) +
         ", not 0: the first item after the Basic Offset Table must begin frame 0");
  for (uint64_t i = 1; i < n; ++i) {
    const uint64_t off = bot.at(i), prev = bot.at(i - 1);
    if (off <= prev)
      fail(frame_msg(i) + "the Basic Offset Table offset " + std::to_string(off) + " does not increase (frame " +
           std::to_string(i - 1) + " is at " + std::to_string(prev) + ")");
    if (off > limit)
      fail(frame_msg(i) + "the Basic Offset Table offset " + std::to_string(off) + " is past the end of the data (" +
           std::to_string(limit) + " bytes after the Basic Offset Table)");
  }
}

// Builds the table from the Basic Offset Table's item offsets (counted from the first item after it) by walking
// each frame's items from the offset the table gives, so that no frame waits for the previous one's
// length to be read: the headers of a one-fragment-per-frame table are independent loads. The walk still
// visits every item in order and checks that each frame's items end exactly where the next frame starts,
// so it finds what a full scan would.
void walk_from_offsets(ConstBytes buf, uint64_t first_item, uint64_t n, const BasicOffsetTable& bot, FrameTable& t) {
  check_basic_offsets(buf, first_item, n, bot);
  t.offsets.reserve(n);
  t.lengths.reserve(n);
  t.frame_fragments.resize(n + 1);
  const uint64_t limit = buf.size - first_item;
  uint64_t pos = first_item;
  for (uint64_t i = 0; i < n; ++i) {
    prefetch_item(buf, first_item, i + kPrefetchAhead < n ? bot.at(i + kPrefetchAhead) : limit);
    t.frame_fragments[i] = t.offsets.size();
    const bool last = i + 1 == n;
    pos = walk_frame_items(buf, first_item, i, first_item + bot.at(i), last ? 0 : first_item + bot.at(i + 1), last,
                           &t.offsets, &t.lengths, &t.has_delimiter);
  }
  t.frame_fragments[n] = t.offsets.size();
  t.end = t.has_delimiter ? pos + 8 : pos;
}

// The lazy form of walk_from_offsets: the table's consistency is checked and only the last frame's items are
// walked (they tell where the value ends); each other frame's items are walked when it is read (select_items). The
// table is read where it lies in buf: opening a memory-mapped file so copies nothing and reads none of the frames'
// pages but the last.
void items_from_offsets(ConstBytes buf, uint64_t first_item, uint64_t n, const BasicOffsetTable& bot, FrameTable& t) {
  check_basic_offsets(buf, first_item, n, bot);
  const uint64_t pos =
      walk_frame_items(buf, first_item, n - 1, first_item + bot.at(n - 1), 0, true, nullptr, nullptr, &t.has_delimiter);
  t.lazy_frames = n;
  t.table_at = static_cast<uint64_t>(bot.values - buf.data);
  t.items_end = pos;
  t.end = t.has_delimiter ? pos + 8 : pos;
}

// PS3.3 C.7.6.3.1.8: the Extended Offset Table gives every frame's offset and length (one fragment per
// frame), so the table is made from it alone. Reading each item header here would touch every frame:
// a memory-mapped slide of 100,000 frames would be paged in just to be opened. The table's own
// consistency is checked here, the first and last items against the data (the last also finds where the
// value ends); verify_extended_frames checks the others when they are read.
void table_from_extended(ConstBytes buf, uint64_t first_item, uint64_t n, const ExtendedOffsets& eot, FrameTable& t,
                         bool lazy) {
  const uint64_t limit = buf.size - first_item;  // bytes from the first item to the end of the buffer
  if (!lazy) {
    t.offsets.resize(n);
    t.lengths.resize(n);
    t.frame_fragments.resize(n + 1);
  }
  if (eot.offset(0) != 0)
    fail(frame_msg(0) + "the Extended Offset Table offset is " + std::to_string(eot.offset(0)) +
         ", not 0: the first item after the Basic Offset Table must begin frame 0");
  uint64_t off = eot.offset(0);
  for (uint64_t i = 0; i < n; ++i) {
    const uint64_t len = eot.length(i);
    const uint64_t room = i + 1 < n ? eot.offset(i + 1) : limit;  // where the next item starts
    if (off > limit || limit - off < 8)
      fail(frame_msg(i) + "the Extended Offset Table offset " + std::to_string(off) + " is past the end of the data (" +
           std::to_string(limit) + " bytes after the Basic Offset Table)");
    if (i + 1 < n && room <= off)
      fail(frame_msg(i + 1) + "the Extended Offset Table offset " + std::to_string(room) +
           " does not increase (frame " + std::to_string(i) + " is at " + std::to_string(off) + ")");
    if (room > off && room - off < 8)  // (room - off - 8 below would wrap around)
      fail(frame_msg(i) + "the Extended Offset Table offsets " + std::to_string(off) + " and " + std::to_string(room) +
           " (frame " + std::to_string(i + 1) + ") are " + std::to_string(room - off) +
           " bytes apart, too close for an item header");
    if (room > off && len > room - off - 8)
      fail(frame_msg(i) + "the Extended Offset Table length " + std::to_string(len) + " at offset " +
           std::to_string(off) + " runs past " + (i + 1 < n ? "the next frame's item" : "the end of the data"));
    if (!lazy) {
      t.offsets[i] = first_item + off + 8;
      t.lengths[i] = len;
      t.frame_fragments[i] = i;
    }
    off = room;
  }
  auto value = [&](uint64_t i) { return first_item + eot.offset(i) + 8; };
  check_extended_frame(buf, 0, value(0), eot.length(0), n > 1 ? value(1) : 0, n > 1);
  if (n > 1) check_extended_frame(buf, n - 1, value(n - 1), eot.length(n - 1), 0, false);
  // After the last frame's item: the sequence delimiter or the end of the data, never another fragment.
  const uint64_t last = value(n - 1);
  const uint64_t pos = last + load_le32(buf.data + last - 4);
  const ItemHeader h = read_item(buf, pos);
  if (h.kind == ItemKind::fragment)
    fail(frame_msg(n - 1) + "spans more than one fragment (the second at byte " + std::to_string(pos) +
         "), but with an Extended Offset Table each frame must be one fragment (PS3.3 C.7.6.3.1.8)");
  t.has_delimiter = h.kind == ItemKind::delimiter;
  t.end = t.has_delimiter ? pos + 8 : pos;
  if (lazy) {
    t.lazy_frames = n;
    t.table_at = static_cast<uint64_t>(eot.offsets - buf.data);
    t.lengths_at = static_cast<uint64_t>(eot.lengths - buf.data);
    t.items_end = pos;
  } else {
    t.frame_fragments[n] = n;
  }
}

// A lazy table's frame i's first item tag (i == frames(): where the last frame's items end).
uint64_t lazy_item(ConstBytes buf, const FrameTable& t, uint64_t i) {
  if (i == t.lazy_frames) return t.items_end;
  if (t.source == FrameSource::extended_offset_table) return t.first_item + load_le64(buf.data + t.table_at + 8 * i);
  return t.first_item + load_le32(buf.data + t.table_at + 4 * i);
}

// A lazy table reads its offset table from the buffer it is given: that buffer must hold it (the same file).
void check_lazy_buffer(ConstBytes buf, const FrameTable& t) {
  const bool ext = t.source == FrameSource::extended_offset_table;
  const uint64_t width = ext ? 8 : 4, n = t.lazy_frames;
  auto holds = [&](uint64_t at) { return at <= buf.size && (buf.size - at) / width >= n; };
  if (!holds(t.table_at) || (ext && !holds(t.lengths_at)) || t.items_end > buf.size)
    throw std::invalid_argument("the buffer (" + std::to_string(buf.size) +
                                " bytes) does not hold this lazy frame table's offset table: not the buffer it was "
                                "made from");
}

// One frame of a lazy table: its fragments appended.
void lazy_frame(ConstBytes buf, const FrameTable& t, uint64_t i, std::vector<uint64_t>& offsets,
                std::vector<uint64_t>& lengths, bool check) {
  const uint64_t n = t.lazy_frames;
  const uint64_t start = lazy_item(buf, t, i);
  if (t.source == FrameSource::extended_offset_table) {
    const uint64_t value = start + 8, len = load_le64(buf.data + t.lengths_at + 8 * i);
    if (check) check_extended_frame(buf, i, value, len, i + 1 < n ? lazy_item(buf, t, i + 1) + 8 : 0, i + 1 < n);
    offsets.push_back(value);
    lengths.push_back(len);
    return;
  }
  walk_frame_items(buf, t.first_item, i, start, i + 1 < n ? lazy_item(buf, t, i + 1) : 0, i + 1 == n, &offsets,
                   &lengths, nullptr);
}

}  // namespace

uint64_t walk_frame_items(ConstBytes buf, uint64_t first_item, uint64_t i, uint64_t start, uint64_t next, bool last,
                          std::vector<uint64_t>* offsets, std::vector<uint64_t>* lengths, bool* has_delimiter) {
  const char* table = "Basic Offset Table";
  uint64_t pos = start, count = 0;
  while (last || pos < next) {
    const ItemHeader h = frame_item(buf, i, pos);
    if (h.kind != ItemKind::fragment) {
      if (!last)
        fail(frame_msg(i + 1) + "the " + table + " offset " + std::to_string(next - first_item) + " (byte " +
             std::to_string(next) + ") is past the end of the fragments (" +
             (h.kind == ItemKind::delimiter ? "the sequence delimiter is at byte " : "the data ends at byte ") +
             std::to_string(pos) + ")");
      if (count == 0)
        fail(frame_msg(i) + "the " + table + " offset " + std::to_string(start - first_item) + " (byte " +
             std::to_string(start) + ") is past the last fragment: the fragments end there");
      if (h.kind == ItemKind::delimiter && has_delimiter) *has_delimiter = true;
      break;
    }
    if (offsets) {
      offsets->push_back(pos + 8);
      lengths->push_back(h.length);
    }
    pos += 8 + uint64_t{h.length};
    ++count;
  }
  if (!last && pos != next)
    fail(frame_msg(i + 1) + "the " + table + " offset " + std::to_string(next - first_item) + " (byte " +
         std::to_string(next) + ") does not land on an item tag: the item before it runs to byte " +
         std::to_string(pos));
  return pos;
}

FrameTable resolve_items(ConstBytes buf, const FrameTable& lazy) {
  check_lazy_buffer(buf, lazy);
  FrameTable t;
  const uint64_t n = lazy.frames();
  t.source = lazy.source;
  t.first_item = lazy.first_item;
  t.end = lazy.end;
  t.has_delimiter = lazy.has_delimiter;
  t.offsets.reserve(n);
  t.lengths.reserve(n);
  t.frame_fragments.resize(n + 1);
  for (uint64_t i = 0; i < n; ++i) {
    t.frame_fragments[i] = t.offsets.size();
    lazy_frame(buf, lazy, i, t.offsets, t.lengths, false);  // EOT items: checked when read, as eager tables'
  }
  t.frame_fragments[n] = t.offsets.size();
  return t;
}

void select_items(ConstBytes buf, const FrameTable& table, const int64_t* frames, size_t count,
                  std::vector<uint64_t>& offsets, std::vector<uint64_t>& lengths, std::vector<uint64_t>& ff) {
  const uint64_t n = table.frames();
  if (table.lazy()) check_lazy_buffer(buf, table);
  ff.assign(1, 0);
  offsets.reserve(offsets.size() + count);
  lengths.reserve(lengths.size() + count);
  for (size_t j = 0; j < count; ++j) {
    if (frames[j] < 0 || static_cast<uint64_t>(frames[j]) >= n)
      throw std::invalid_argument("frame index " + std::to_string(frames[j]) + " out of range for " +
                                  std::to_string(n) + " frames");
    const uint64_t i = static_cast<uint64_t>(frames[j]);
    if (table.lazy()) {
      lazy_frame(buf, table, i, offsets, lengths, true);
    } else {
      for (uint64_t k = table.frame_fragments[i]; k < table.frame_fragments[i + 1]; ++k) {
        offsets.push_back(table.offsets[k]);
        lengths.push_back(table.lengths[k]);
      }
    }
    ff.push_back(offsets.size());
  }
}

void check_extended_frame(ConstBytes buf, uint64_t i, uint64_t value, uint64_t length, uint64_t next_value,
                          bool has_next) {
  const uint64_t pos = value - 8;  // the item tag; table_from_extended put every item inside buf
  if (value < 8 || value > buf.size)
    fail(frame_msg(i) + "the Extended Offset Table puts its item outside the " + std::to_string(buf.size) +
         "-byte data (its value at byte " + std::to_string(value) + ")");
  if (load_tag_le(buf.data + pos) != kItemTag)
    fail(frame_msg(i) + "the Extended Offset Table offset (byte " + std::to_string(pos) +
         ") does not land on an item tag");
  const uint32_t item = load_le32(buf.data + pos + 4);
  if (item == kUndefinedLength || item > buf.size - value)
    fail(frame_msg(i) + "its item (at byte " + std::to_string(pos) + ") has length " + std::to_string(item) +
         ", past the end of the data");
  if (length > item)
    fail(frame_msg(i) + "the Extended Offset Table length " + std::to_string(length) +
         " exceeds its fragment's length " + std::to_string(item));
  const uint64_t item_end = value + item;
  const uint64_t next = has_next ? next_value - 8 : item_end;
  if (item_end != next) {
    // Either frame i has more items, which reach the next frame exactly, or the next offset misses its item.
    uint64_t p = item_end;
    while (p < next && buf.size - p >= 8 && load_tag_le(buf.data + p) == kItemTag) {
      const uint32_t len = load_le32(buf.data + p + 4);
      if (len == kUndefinedLength) break;
      p += 8 + uint64_t{len};
    }
    if (p == next)
      fail(frame_msg(i) + "spans more than one fragment (the second at byte " + std::to_string(item_end) +
           "), but with an Extended Offset Table each frame must be one fragment (PS3.3 C.7.6.3.1.8)");
    fail(frame_msg(i + 1) + "the Extended Offset Table offset (byte " + std::to_string(next) +
         ") does not land on an item tag: the item before it runs to byte " + std::to_string(p));
  }
  // The items fit together; the frame is its whole item (PS3.3 C.7.6.3.1.8). One byte less is the length
  // of an odd codestream without the pad byte that ends its item (PS3.5 A.4), which some writers record;
  // anything shorter would return a frame cut short.
  const bool pad_only = length + 1 == item && item % 2 == 0 && buf.data[value + item - 1] == 0;
  if (length < item && !pad_only)
    fail(frame_msg(i) + "the Extended Offset Table length " + std::to_string(length) +
         " is shorter than its fragment's length " + std::to_string(item) + ": the frame would be cut short");
}

void verify_extended_frames(ConstBytes buf, const uint64_t* offsets, const uint64_t* lengths, uint64_t n,
                            uint64_t begin, uint64_t end) {
  for (uint64_t i = begin; i < end; ++i)
    check_extended_frame(buf, i, offsets[i], lengths[i], i + 1 < n ? offsets[i + 1] : 0, i + 1 < n);
}

ExtendedOffsetBytes extended_offset_bytes(const uint64_t* offsets, const uint64_t* lengths, size_t count) {
  ExtendedOffsetBytes b{std::vector<uint8_t>(8 * count), std::vector<uint8_t>(8 * count)};
  for (size_t i = 0; i < count; ++i) {
    store_le64(b.offsets.data() + 8 * i, offsets[i]);
    store_le64(b.lengths.data() + 8 * i, lengths[i]);
  }
  return b;
}

Codestream codestream_for_transfer_syntax(const std::string& uid) {
  if (uid.empty()) return Codestream::detect;
  static const std::string jpeg_root = "1.2.840.10008.1.2.4.";
  if (uid.compare(0, jpeg_root.size(), jpeg_root) == 0) {
    std::string tail = uid.substr(jpeg_root.size());
    if (tail.empty() || tail.find_first_not_of("0123456789") != std::string::npos) return Codestream::none;
    long n = std::strtol(tail.c_str(), nullptr, 10);
    if (n >= 50 && n <= 87) return Codestream::jpeg;  // JPEG processes 1-29, lossless JPEG, JPEG-LS (PS3.5 A.4.1-3)
    if ((n >= 90 && n <= 93) || (n >= 201 && n <= 203)) return Codestream::jpeg2000;  // JPEG 2000, HTJ2K (A.4.4)
    return Codestream::none;  // JPIP, MPEG, HEVC, JPEG XL: no per-frame marker rule here
  }
  // Other standard transfer syntaxes (RLE, Deflated Image Frame, Encapsulated Uncompressed) store one frame
  // per fragment and have no start marker; a private one might carry anything, so look at the data.
  static const std::string dicom_root = "1.2.840.10008.";
  return uid.compare(0, dicom_root.size(), dicom_root) == 0 ? Codestream::none : Codestream::detect;
}

FrameTable build_frame_table(ConstBytes buf, uint64_t offset, uint64_t n, const ExtendedOffsets* eot,
                             Codestream codestream, bool lazy) {
  if (n == 0) throw std::invalid_argument("number_of_frames must be at least 1");
  const BasicOffsetTable bot = read_basic_offset_table(buf, offset);
  FrameTable t;
  t.first_item = bot.first_item;

  if (eot != nullptr) {
    // PS3.3 C.7.6.3.1.8: one fragment per frame; offsets of item tags from the first item after the (empty) BOT.
    if (eot->count != n)
      fail("the Extended Offset Table has " + std::to_string(eot->count) + " entries but there are " +
           std::to_string(n) + " frames");
    // Lazy only when the table lies in buf: its place there is what the lazy table keeps.
    auto in_buf = [&](const uint8_t* p) {
      const uintptr_t at = reinterpret_cast<uintptr_t>(p), start = reinterpret_cast<uintptr_t>(buf.data);
      return at >= start && at - start <= buf.size && (buf.size - (at - start)) / 8 >= n;
    };
    table_from_extended(buf, bot.first_item, n, *eot, t, lazy && in_buf(eot->offsets) && in_buf(eot->lengths));
    t.source = FrameSource::extended_offset_table;
    return t;
  }
  if (bot.count != 0) {
    // PS3.5 A.4: one uint32 per frame, the offset of its first fragment's item tag from the first item after the BOT.
    if (bot.count != n)
      fail("the Basic Offset Table has " + std::to_string(bot.count) + " entries but there are " + std::to_string(n) +
           " frames");
    if (lazy)
      items_from_offsets(buf, bot.first_item, n, bot, t);
    else
      walk_from_offsets(buf, bot.first_item, n, bot, t);
    t.source = FrameSource::basic_offset_table;
    return t;
  }

  FragmentScan s = scan_fragments(buf, offset);
  t.end = s.end;
  t.has_delimiter = s.has_delimiter;
  const uint64_t nfrag = s.offsets.size();
  if (nfrag < n)
    fail("too few fragments: " + std::to_string(n) + " frames but only " + std::to_string(nfrag) +
         " fragment(s) in the Pixel Data (frame " + std::to_string(nfrag) + " has none)");
  if (nfrag == n) {
    t.frame_fragments.resize(n + 1);
    for (uint64_t i = 0; i <= n; ++i) t.frame_fragments[i] = i;
    t.source = FrameSource::one_fragment_per_frame;
  } else if (n == 1) {
    t.frame_fragments = {0, nfrag};
    t.source = FrameSource::single_frame;
  } else {
    // PS3.5 A.4: with an empty BOT and more fragments than frames, only the codestream tells where frames start.
    Codestream c = codestream;
    if (c == Codestream::detect) {
      if (starts_frame(buf.data, s.offsets[0], s.lengths[0], Codestream::jpeg))
        c = Codestream::jpeg;
      else if (starts_frame(buf.data, s.offsets[0], s.lengths[0], Codestream::jpeg2000))
        c = Codestream::jpeg2000;
      else
        fail("cannot find the frame boundaries of " + std::to_string(n) + " frames in " + std::to_string(nfrag) +
             " fragments: there is no offset table, and the first fragment begins with neither a JPEG SOI marker "
             "(FFD8) nor JPEG 2000 SOC and SIZ markers (FF4F FF51); pass transfer_syntax if it is known");
    } else if (c == Codestream::none) {
      fail("cannot find the frame boundaries of " + std::to_string(n) + " frames in " + std::to_string(nfrag) +
           " fragments: there is no offset table, and the transfer syntax stores one fragment per frame and has no "
           "start marker to split on");
    }
    t.frame_fragments.reserve(n + 1);
    for (uint64_t j = 0; j < nfrag; ++j) {
      if (!starts_frame(buf.data, s.offsets[j], s.lengths[j], c)) continue;
      if (t.frame_fragments.size() == n)
        fail("found more than " + std::to_string(n) + " frames: fragment " + std::to_string(j) + " at byte " +
             std::to_string(s.offsets[j]) + " begins with " + codestream_name(c) + " after frame " +
             std::to_string(n - 1) + " started");
      t.frame_fragments.push_back(j);
    }
    if (t.frame_fragments.empty() || t.frame_fragments[0] != 0)
      fail(frame_msg(0) + "the first fragment (at byte " + std::to_string(s.offsets[0]) + ") does not begin with " +
           codestream_name(c));
    if (t.frame_fragments.size() < n)
      fail(frame_msg(t.frame_fragments.size()) + "not found: only " + std::to_string(t.frame_fragments.size()) +
           " of " + std::to_string(nfrag) + " fragments begin with " + codestream_name(c) + " for " +
           std::to_string(n) + " frames");
    t.frame_fragments.push_back(nfrag);
    t.source = FrameSource::codestream_markers;
  }
  t.offsets = std::move(s.offsets);
  t.lengths = std::move(s.lengths);
  return t;
}

bool last_frame_whole(ConstBytes buf, const FrameTable& t, const std::string& transfer_syntax) {
  if (t.source == FrameSource::extended_offset_table) return true;
  const uint64_t frames = t.frame_fragments.empty() ? 0 : t.frame_fragments.size() - 1;
  const bool one_each = t.offsets.size() == frames;
  static const char* const one_fragment_per_frame[] = {"1.2.840.10008.1.2.5", "1.2.840.10008.1.2.8.1",
                                                       "1.2.840.10008.1.2.1.98"};
  for (const char* uid : one_fragment_per_frame)
    if (transfer_syntax == uid) return one_each;
  static const std::string jpeg_family = "1.2.840.10008.1.2.4.";
  if (transfer_syntax.compare(0, jpeg_family.size(), jpeg_family) != 0 || t.offsets.empty()) return false;
  // The last fragment ends its codestream.
  const uint64_t end = t.offsets.back() + t.lengths.back();
  if (t.lengths.back() == 0 || end > buf.size) return false;
  const uint8_t* d = buf.data;
  const bool eoi = (end >= 2 && d[end - 2] == 0xFF && d[end - 1] == 0xD9) ||
                   (end >= 3 && d[end - 3] == 0xFF && d[end - 2] == 0xD9 && d[end - 1] == 0x00);
  if (!eoi) return false;
  // A table of one fragment per frame because it found as many fragments as frames: a file cut short can hold
  // that many with frames split over several, unless every fragment begins with a start marker (JPEG SOI FF D8,
  // JPEG 2000 SOC FF 4F). The other sources found their frame starts from an offset table or the markers.
  if (t.source != FrameSource::one_fragment_per_frame) return true;
  for (size_t i = 0; i < t.offsets.size(); ++i) {
    const uint64_t o = t.offsets[i];
    if (t.lengths[i] < 2 || o + 2 > buf.size || d[o] != 0xFF || (d[o + 1] != 0xD8 && d[o + 1] != 0x4F)) return false;
  }
  return true;
}

}  // namespace framecodec
