#include "encaps_scan.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "errors.h"
#include "le.h"
#include "tags.h"

namespace framecodec {

namespace {

[[noreturn]] void fail(const std::string& msg) { throw EncapsulationError(msg); }

std::string at(uint64_t pos) { return " at offset " + std::to_string(pos); }

}  // namespace

FragmentScan scan_fragments(ConstBytes buf, uint64_t offset) {
  if (offset > buf.size)
    throw std::invalid_argument("offset " + std::to_string(offset) + " is past the end of the buffer (" +
                                std::to_string(buf.size) + " bytes)");
  FragmentScan s;
  const uint8_t* d = buf.data;
  const uint64_t size = buf.size;
  uint64_t pos = offset;

  // PS3.5 A.4: the first item of the value is the Basic Offset Table, possibly empty, holding uint32 offsets.
  if (size - pos < 8)
    fail("truncated Pixel Data: the Basic Offset Table item header" + at(pos) + " needs 8 bytes, " +
         std::to_string(size - pos) + " remain");
  uint32_t tag = load_tag_le(d + pos);
  if (tag != kItemTag)
    fail("expected the Basic Offset Table item tag (FFFE,E000)" + at(pos) + ", found " + format_tag(tag) +
         ": the value is not encapsulated Pixel Data or does not start there");
  uint32_t bot_len = load_le32(d + pos + 4);
  if (bot_len == kUndefinedLength) fail("the Basic Offset Table item" + at(pos) + " has undefined length");
  if (bot_len % 4 != 0)
    fail("the Basic Offset Table item" + at(pos) + " has length " + std::to_string(bot_len) +
         ", not a multiple of 4");
  if (bot_len > size - pos - 8)
    fail("truncated Pixel Data: the Basic Offset Table item" + at(pos) + " has length " + std::to_string(bot_len) +
         " but only " + std::to_string(size - pos - 8) + " bytes follow its header");
  s.basic_offsets.resize(bot_len / 4);
  for (size_t i = 0; i < s.basic_offsets.size(); ++i) s.basic_offsets[i] = load_le32(d + pos + 8 + 4 * i);
  pos += 8 + uint64_t{bot_len};
  s.first_item = pos;

  // A filled BOT says how many frames there are; one fragment per frame is by far the most common layout.
  size_t guess = s.basic_offsets.size();
  if (guess == 0) guess = static_cast<size_t>(std::min<uint64_t>((size - pos) / 4096, 65536) + 16);
  s.offsets.reserve(guess);
  s.lengths.reserve(guess);

  // PS3.5 7.5 and A.4: fragment items (FFFE,E000) of explicit length, then the sequence delimiter (FFFE,E0DD).
  // Every step advances by at least 8 bytes, so the walk ends.
  while (pos < size) {
    uint64_t remain = size - pos;
    if (remain < 8)
      fail("truncated Pixel Data: an item header" + at(pos) + " needs 8 bytes, " + std::to_string(remain) +
           " remain");
    tag = load_tag_le(d + pos);
    uint32_t len = load_le32(d + pos + 4);
    if (tag == kItemTag) {
      if (len == kUndefinedLength)
        fail("the fragment item" + at(pos) + " has undefined length; fragments must have an explicit length "
             "(PS3.5 A.4)");
      if (len > remain - 8)
        fail("truncated Pixel Data: the fragment item" + at(pos) + " has length " + std::to_string(len) +
             " but only " + std::to_string(remain - 8) + " bytes follow its header");
      s.offsets.push_back(pos + 8);
      s.lengths.push_back(len);
      pos += 8 + uint64_t{len};
    } else if (tag == kSequenceDelimitationTag) {
      // PS3.5 7.5: its length is 0; a non-zero one is ignored, as DCMTK and pydicom do.
      s.has_delimiter = true;
      pos += 8;
      break;
    } else {
      fail("unexpected tag " + format_tag(tag) + at(pos) +
           " in the encapsulated Pixel Data: expected an item (FFFE,E000) or the sequence delimiter (FFFE,E0DD)");
    }
  }
  s.end = pos;
  return s;
}

}  // namespace framecodec
