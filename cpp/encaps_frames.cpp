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
// walked (they tell where the value ends); each other frame's items are walked when it is read
// (walk_frame_items through resolve_items or select_items). Opening a memory-mapped file so reads none of the
// frames' pages but the last.
void items_from_offsets(ConstBytes buf, uint64_t first_item, uint64_t n, const BasicOffsetTable& bot, FrameTable& t) {
  check_basic_offsets(buf, first_item, n, bot);
  t.frame_items.resize(n + 1);
  for (uint64_t i = 0; i < n; ++i) t.frame_items[i] = first_item + bot.at(i);
  const uint64_t pos =
      walk_frame_items(buf, first_item, n - 1, t.frame_items[n - 1], 0, true, nullptr, nullptr, &t.has_delimiter);
  t.frame_items[n] = pos;
  t.end = t.has_delimiter ? pos + 8 : pos;
}

// PS3.3 C.7.6.3.1.8: the Extended Offset Table gives every frame's offset and length (one fragment per
// frame), so the table is made from it alone. Reading each item header here would touch every frame:
// a memory-mapped slide of 100,000 frames would be paged in just to be opened. The table's own
// consistency is checked here, the first and last items against the data (the last also finds where the
// value ends); verify_extended_frames checks the others when they are read.
void table_from_extended(ConstBytes buf, uint64_t first_item, uint64_t n, const ExtendedOffsets& eot, FrameTable& t) {
  const uint64_t limit = buf.size - first_item;  // bytes from the first item to the end of the buffer
  t.offsets.resize(n);
  t.lengths.resize(n);
  t.frame_fragments.resize(n + 1);
  if (eot.offsets[0] != 0)
    fail(frame_msg(0) + "the Extended Offset Table offset is " + std::to_string(eot.offsets[0]) +
         ", not 0: the first item after the Basic Offset Table must begin frame 0");
  for (uint64_t i = 0; i < n; ++i) {
    const uint64_t off = eot.offsets[i], len = eot.lengths[i];
    if (i > 0 && off <= eot.offsets[i - 1])
      fail(frame_msg(i) + "the Extended Offset Table offset " + std::to_string(off) + " does not increase (frame " +
           std::to_string(i - 1) + " is at " + std::to_string(eot.offsets[i - 1]) + ")");
    const uint64_t room = i + 1 < n ? eot.offsets[i + 1] : limit;  // where the next item starts
    if (off > limit || limit - off < 8)
      fail(frame_msg(i) + "the Extended Offset Table offset " + std::to_string(off) + " is past the end of the data (" +
           std::to_string(limit) + " bytes after the Basic Offset Table)");
    if (room > off && room - off < 8)  // (room - off - 8 below would wrap around)
      fail(frame_msg(i) + "the Extended Offset Table offsets " + std::to_string(off) + " and " + std::to_string(room) +
           " (frame " + std::to_string(i + 1) + ") are " + std::to_string(room - off) +
           " bytes apart, too close for an item header");
    if (room > off && len > room - off - 8)
      fail(frame_msg(i) + "the Extended Offset Table length " + std::to_string(len) + " at offset " +
           std::to_string(off) + " runs past " + (i + 1 < n ? "the next frame's item" : "the end of the data"));
    t.offsets[i] = first_item + off + 8;
    t.lengths[i] = len;
    t.frame_fragments[i] = i;
  }
  t.frame_fragments[n] = n;
  verify_extended_frames(buf, t.offsets.data(), t.lengths.data(), n, 0, 1);
  if (n > 1) verify_extended_frames(buf, t.offsets.data(), t.lengths.data(), n, n - 1, n);
  // After the last frame's item: the sequence delimiter or the end of the data, never another fragment.
  const uint64_t pos = t.offsets[n - 1] + load_le32(buf.data + t.offsets[n - 1] - 4);
  const ItemHeader h = read_item(buf, pos);
  if (h.kind == ItemKind::fragment)
    fail(frame_msg(n - 1) + "spans more than one fragment (the second at byte " + std::to_string(pos) +
         "), but with an Extended Offset Table each frame must be one fragment (PS3.3 C.7.6.3.1.8)");
  t.has_delimiter = h.kind == ItemKind::delimiter;
  t.end = t.has_delimiter ? pos + 8 : pos;
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
    const uint64_t next = i + 1 < n ? lazy.frame_items[i + 1] : 0;
    walk_frame_items(buf, lazy.first_item, i, lazy.frame_items[i], next, i + 1 == n, &t.offsets, &t.lengths, nullptr);
  }
  t.frame_fragments[n] = t.offsets.size();
  return t;
}

void select_items(ConstBytes buf, const FrameTable& lazy, const int64_t* frames, size_t count,
                  std::vector<uint64_t>& offsets, std::vector<uint64_t>& lengths, std::vector<uint64_t>& ff) {
  const uint64_t n = lazy.frames();
  ff.assign(1, 0);
  for (size_t j = 0; j < count; ++j) {
    if (frames[j] < 0 || static_cast<uint64_t>(frames[j]) >= n)
      throw std::invalid_argument("frame index " + std::to_string(frames[j]) + " out of range for " +
                                  std::to_string(n) + " frames");
    const uint64_t i = static_cast<uint64_t>(frames[j]);
    if (lazy.lazy()) {
      const uint64_t next = i + 1 < n ? lazy.frame_items[i + 1] : 0;
      walk_frame_items(buf, lazy.first_item, i, lazy.frame_items[i], next, i + 1 == n, &offsets, &lengths, nullptr);
    } else {
      for (uint64_t k = lazy.frame_fragments[i]; k < lazy.frame_fragments[i + 1]; ++k) {
        offsets.push_back(lazy.offsets[k]);
        lengths.push_back(lazy.lengths[k]);
      }
    }
    ff.push_back(offsets.size());
  }
}

void verify_extended_frames(ConstBytes buf, const uint64_t* offsets, const uint64_t* lengths, uint64_t n,
                            uint64_t begin, uint64_t end) {
  for (uint64_t i = begin; i < end; ++i) {
    const uint64_t pos = offsets[i] - 8;  // the item tag; table_from_extended put every item inside buf
    if (offsets[i] < 8 || offsets[i] > buf.size)
      fail(frame_msg(i) + "the Extended Offset Table puts its item outside the " + std::to_string(buf.size) +
           "-byte data (its value at byte " + std::to_string(offsets[i]) + ")");
    if (load_tag_le(buf.data + pos) != kItemTag)
      fail(frame_msg(i) + "the Extended Offset Table offset (byte " + std::to_string(pos) +
           ") does not land on an item tag");
    const uint32_t item = load_le32(buf.data + pos + 4);
    if (item == kUndefinedLength || item > buf.size - offsets[i])
      fail(frame_msg(i) + "its item (at byte " + std::to_string(pos) + ") has length " + std::to_string(item) +
           ", past the end of the data");
    if (lengths[i] > item)
      fail(frame_msg(i) + "the Extended Offset Table length " + std::to_string(lengths[i]) +
           " exceeds its fragment's length " + std::to_string(item));
    const uint64_t item_end = offsets[i] + item;
    const uint64_t next = i + 1 < n ? offsets[i + 1] - 8 : item_end;
    if (item_end != next) {
      // Either frame i has more items, which reach the next frame exactly, or the next offset misses its item.
      uint64_t pos = item_end;
      while (pos < next && buf.size - pos >= 8 && load_tag_le(buf.data + pos) == kItemTag) {
        const uint32_t len = load_le32(buf.data + pos + 4);
        if (len == kUndefinedLength) break;
        pos += 8 + uint64_t{len};
      }
      if (pos == next)
        fail(frame_msg(i) + "spans more than one fragment (the second at byte " + std::to_string(item_end) +
             "), but with an Extended Offset Table each frame must be one fragment (PS3.3 C.7.6.3.1.8)");
      fail(frame_msg(i + 1) + "the Extended Offset Table offset (byte " + std::to_string(next) +
           ") does not land on an item tag: the item before it runs to byte " + std::to_string(pos));
    }
    // The items fit together; the frame is its whole item (PS3.3 C.7.6.3.1.8). One byte less is the length
    // of an odd codestream without the pad byte that ends its item (PS3.5 A.4), which some writers record;
    // anything shorter would return a frame cut short.
    const bool pad_only = lengths[i] + 1 == item && item % 2 == 0 && buf.data[offsets[i] + item - 1] == 0;
    if (lengths[i] < item && !pad_only)
      fail(frame_msg(i) + "the Extended Offset Table length " + std::to_string(lengths[i]) +
           " is shorter than its fragment's length " + std::to_string(item) + ": the frame would be cut short");
  }
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
    table_from_extended(buf, bot.first_item, n, *eot, t);
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
