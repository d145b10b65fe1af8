#include "encaps_write.h"

#include <cstring>
#include <stdexcept>
#include <string>

#include "errors.h"
#include "le.h"
#include "tags.h"

namespace framecodec {

namespace {

// PS3.5 7.5: an item's length is a uint32 and FFFFFFFFH means undefined, so an even value holds at most this.
constexpr uint64_t kMaxItemValue = 0xFFFFFFFE;

uint64_t padded(uint64_t len) { return len + (len & 1); }

}  // namespace

uint64_t encapsulated_size(const ConstBytes* frames, uint64_t n, OffsetTable table, bool delimiter) {
  if (table == OffsetTable::basic && n > (kMaxItemValue / 4))
    throw EncapsulationError("too many frames (" + std::to_string(n) + ") for a Basic Offset Table");
  uint64_t total = 8 + (table == OffsetTable::basic ? 4 * n : 0);
  uint64_t items = 0;  // offset of the current frame's item from the first item after the BOT
  for (uint64_t i = 0; i < n; ++i) {
    const uint64_t len = frames[i].size;
    if (len == 0)
      throw EncapsulationError("frame " + std::to_string(i) +
                               " is empty; a fragment holds at least 2 bytes (PS3.5 A.4)");
    if (len > kMaxItemValue)
      throw EncapsulationError("frame " + std::to_string(i) + " is " + std::to_string(len) +
                               " bytes, more than one item can hold (4294967294 bytes)");
    if (table == OffsetTable::basic && items > 0xFFFFFFFFu)
      throw EncapsulationError(
          "frame " + std::to_string(i) + " would start at offset " + std::to_string(items) +
          ", more than the Basic Offset Table's uint32 can hold (4294967295); use offset_table=\"extended\" "
          "and store the Extended Offset Table (encapsulate_extended)");
    items += 8 + padded(len);
  }
  return total + items + (delimiter ? 8 : 0);
}

void encapsulate(const ConstBytes* frames, uint64_t n, OffsetTable table, bool delimiter, MutBytes out) {
  const uint64_t size = encapsulated_size(frames, n, table, delimiter);
  if (out.size != size)
    throw std::invalid_argument("out must be exactly " + std::to_string(size) + " bytes, got " +
                                std::to_string(out.size));
  uint8_t* p = out.data;
  auto header = [&p](uint32_t tag, uint32_t len) {
    store_le32(p, (tag << 16) | (tag >> 16));  // group then element, each little endian (PS3.5 7.5)
    store_le32(p + 4, len);
    p += 8;
  };
  const bool bot = table == OffsetTable::basic;
  header(kItemTag, bot ? static_cast<uint32_t>(4 * n) : 0);  // PS3.5 A.4: the BOT item comes first, maybe empty
  uint8_t* bot_values = p;
  if (bot) p += 4 * n;
  uint64_t offset = 0;
  for (uint64_t i = 0; i < n; ++i) {
    if (bot) store_le32(bot_values + 4 * i, static_cast<uint32_t>(offset));
    const uint64_t len = frames[i].size;
    header(kItemTag, static_cast<uint32_t>(padded(len)));
    if (len) std::memcpy(p, frames[i].data, len);
    p += len;
    if (len & 1) *p++ = 0;  // PS3.5 A.4: items have even length; OB pads with a single 0x00
    offset += 8 + padded(len);
  }
  if (delimiter) header(kSequenceDelimitationTag, 0);
}

void extended_offset_table(const ConstBytes* frames, uint64_t n, uint64_t* offsets, uint64_t* lengths) {
  uint64_t offset = 0;
  for (uint64_t i = 0; i < n; ++i) {
    offsets[i] = offset;
    lengths[i] = padded(frames[i].size);
    offset += 8 + lengths[i];
  }
}

}  // namespace framecodec
