#include "encaps_scan.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "errors.h"

namespace framecodec {

namespace {

[[noreturn]] void fail(const std::string& msg) { throw EncapsulationError(msg); }

std::string at(uint64_t pos) { return " at offset " + std::to_string(pos); }

}  // namespace

BasicOffsetTable read_basic_offset_table(ConstBytes buf, uint64_t offset) {
  if (offset > buf.size)
    throw std::invalid_argument("offset " + std::to_string(offset) + " is past the end of the buffer (" +
                                std::to_string(buf.size) + " bytes)");
  const uint64_t pos = offset;
  const uint64_t remain = buf.size - pos;
  // PS3.5 A.4: the first item of the value is the Basic Offset Table, possibly empty, holding uint32 offsets.
  if (remain < 8)
    fail("truncated Pixel Data: the Basic Offset Table item header" + at(pos) + " needs 8 bytes, " +
         std::to_string(remain) + " remain");
  uint32_t tag = load_tag_le(buf.data + pos);
  if (tag != kItemTag)
    fail("expected the Basic Offset Table item tag (FFFE,E000)" + at(pos) + ", found " + format_tag(tag) +
         ": the value is not encapsulated Pixel Data or does not start there");
  uint32_t len = load_le32(buf.data + pos + 4);
  if (len == kUndefinedLength) fail("the Basic Offset Table item" + at(pos) + " has undefined length");
  if (len % 4 != 0)
    fail("the Basic Offset Table item" + at(pos) + " has length " + std::to_string(len) + ", not a multiple of 4");
  if (len > remain - 8)
    fail("truncated Pixel Data: the Basic Offset Table item" + at(pos) + " has length " + std::to_string(len) +
         " but only " + std::to_string(remain - 8) + " bytes follow its header");
  return {buf.data + pos + 8, len / 4, pos + 8 + len};
}

void throw_bad_item(ConstBytes buf, uint64_t pos) {
  const uint64_t remain = buf.size - pos;
  if (remain < 8)
    fail("truncated Pixel Data: an item header" + at(pos) + " needs 8 bytes, " + std::to_string(remain) + " remain");
  const uint32_t tag = load_tag_le(buf.data + pos);
  const uint32_t len = load_le32(buf.data + pos + 4);
  if (tag != kItemTag)
    fail("unexpected tag " + format_tag(tag) + at(pos) +
         " in the encapsulated Pixel Data: expected an item (FFFE,E000) or the sequence delimiter (FFFE,E0DD)");
  if (len == kUndefinedLength)
    fail("the fragment item" + at(pos) + " has undefined length; fragments must have an explicit length (PS3.5 A.4)");
  fail("truncated Pixel Data: the fragment item" + at(pos) + " has length " + std::to_string(len) + " but only " +
       std::to_string(remain - 8) + " bytes follow its header");
}

FragmentScan scan_fragments(ConstBytes buf, uint64_t offset) {
  FragmentScan s;
  const BasicOffsetTable bot = read_basic_offset_table(buf, offset);
  s.basic_offsets.resize(bot.count);
  for (uint64_t i = 0; i < bot.count; ++i) s.basic_offsets[i] = bot.at(i);
  s.first_item = bot.first_item;

  // A filled BOT says how many frames there are; one fragment per frame is by far the most common layout.
  uint64_t guess = bot.count ? bot.count : std::min<uint64_t>((buf.size - bot.first_item) / 4096, 65536) + 16;
  s.offsets.reserve(guess);
  s.lengths.reserve(guess);

  // PS3.5 7.5 and A.4: fragment items (FFFE,E000) of explicit length, then the sequence delimiter (FFFE,E0DD).
  uint64_t pos = bot.first_item;
  while (true) {
    const ItemHeader h = read_item(buf, pos);
    if (h.kind == ItemKind::fragment) {
      s.offsets.push_back(pos + 8);
      s.lengths.push_back(h.length);
      pos += 8 + uint64_t{h.length};
      continue;
    }
    if (h.kind == ItemKind::delimiter) {
      s.has_delimiter = true;
      pos += 8;
    }
    break;
  }
  s.end = pos;
  return s;
}

ItemWalk walk_items(ConstBytes buf, uint64_t offset, uint64_t base) {
  constexpr uint64_t kMax = UINT64_MAX;
  // Past this check base + pos cannot overflow for any pos <= buf.size.
  if (buf.size > kMax - base)
    fail("a block of " + std::to_string(buf.size) + " bytes at offset " + std::to_string(base) +
         " ends past the largest file offset, 2**64 - 1");
  if (offset > buf.size)
    fail("the item walk starts" + at(base + offset) + ", past the end of the block (" + std::to_string(buf.size) +
         " bytes from offset " + std::to_string(base) + ")");

  ItemWalk w;
  // Fragments are usually frames, kilobytes or more; the vectors grow when they are not.
  const uint64_t guess = std::min<uint64_t>((buf.size - offset) / 4096, 65536) + 16;
  w.positions.reserve(guess);
  w.lengths.reserve(guess);
  w.heads.reserve(4 * guess);

  // PS3.5 7.5 and A.4: items (FFFE,E000) of explicit length, then the sequence delimiter (FFFE,E0DD). Nothing is
  // decided on a partial header: the next block starts at it, so where blocks are cut never changes the result.
  uint64_t pos = offset;
  while (buf.size - pos >= 8) {
    const uint64_t abs = base + pos;
    const uint32_t tag = load_tag_le(buf.data + pos);
    const uint32_t len = load_le32(buf.data + pos + 4);
    if (tag == kSequenceDelimitationTag) {  // PS3.5 7.5: its length is 0, not checked (as read_item)
      w.done = true;
      w.next = abs + 8;
      return w;
    }
    if (tag != kItemTag)
      fail("unexpected tag " + format_tag(tag) + at(abs) +
           " in the encapsulated Pixel Data: expected an item (FFFE,E000) or the sequence delimiter (FFFE,E0DD)");
    if (len == kUndefinedLength)
      fail("the fragment item" + at(abs) + " has undefined length; fragments must have an explicit length (PS3.5 A.4)");
    // The item after this one; a 32-bit length cannot overflow it unless the file offset is near 2**64
    // (abs + 8 <= base + buf.size, so the subtraction cannot wrap).
    if (uint64_t{len} > kMax - 8 - abs)
      fail("the fragment item" + at(abs) + " has length " + std::to_string(len) +
           ": its end is past the largest file offset, 2**64 - 1");
    const uint64_t head = std::min<uint64_t>(len, 4);
    const uint64_t avail = buf.size - pos - 8;
    if (avail < head) break;  // its first bytes are in the next block, read from its tag
    w.positions.push_back(abs);
    w.lengths.push_back(len);
    uint8_t h[4] = {0, 0, 0, 0};
    std::copy(buf.data + pos + 8, buf.data + pos + 8 + head, h);
    w.heads.insert(w.heads.end(), h, h + 4);
    if (uint64_t{len} > avail) {  // the rest of the item is not needed: the caller reads on from its end
      w.next = abs + 8 + len;
      return w;
    }
    pos += 8 + uint64_t{len};
  }
  w.next = base + pos;
  return w;
}

}  // namespace framecodec
