#include "dataset_locate.h"

#include "dataset_walk.h"
#include "le.h"
#include "tags.h"

namespace framecodec {

PixelDataLocation locate_pixel_data(ByteSource& src, bool read_extended) {
  DataSetReader r(src);
  const uint64_t size = r.size();
  PixelDataLocation loc;
  DataSetStart start = r.start();
  loc.transfer_syntax = start.transfer_syntax;
  loc.explicit_vr = start.explicit_vr;
  const bool explicit_vr = start.explicit_vr;
  uint64_t pos = start.pos;

  while (true) {
    if (pos == size)
      data_set_error("no Pixel Data (7FE0,0010) in the top-level data set (it ends" + at_offset(pos) + ")");
    Element e = r.header(pos, explicit_vr);
    if (e.tag == kPixelDataTag) {
      loc.element_offset = pos;
      loc.offset = e.value;
      loc.length = e.length;
      loc.encapsulated = e.length == kUndefinedLength;  // PS3.5 A.4: encapsulated Pixel Data has undefined length
      loc.vr = e.vr;
      return loc;  // the value itself is never read
    }
    if (e.tag == kSequenceDelimitationTag || e.tag == kItemDelimitationTag) {
      pos = e.value;  // a stray delimiter at the top level: skipped, as DCMTK and pydicom do
      continue;
    }
    if (e.tag == kItemTag)
      data_set_error("unexpected item tag (FFFE,E000)" + at_offset(pos) + " in the top-level data set");
    if (e.length == kUndefinedLength) {
      pos = r.skip_undefined(e, pos, explicit_vr, 1);
      continue;
    }
    r.check_value(e, pos);
    if (e.tag == kNumberOfFramesTag) {
      loc.number_of_frames = e.length <= 64 ? parse_is(r.view(e.value, e.length), e.length) : -1;
    } else if (e.tag == kExtendedOffsetTableTag || e.tag == kExtendedOffsetTableLengthsTag) {
      bool lengths = e.tag == kExtendedOffsetTableLengthsTag;
      if (e.length % 8 != 0)
        data_set_error(
            std::string(lengths ? "Extended Offset Table Lengths (7FE0,0002)" : "Extended Offset Table (7FE0,0001)") +
            at_offset(pos) + " has length " + std::to_string(e.length) + ", not a multiple of 8");
      std::vector<uint64_t>& v = lengths ? loc.extended_lengths : loc.extended_offsets;
      (lengths ? loc.has_extended_lengths : loc.has_extended_offsets) = true;
      (lengths ? loc.extended_lengths_at : loc.extended_offsets_at) = e.value;
      (lengths ? loc.extended_lengths_count : loc.extended_offsets_count) = e.length / 8;
      if (!read_extended) {
        pos = e.value + e.length;
        continue;
      }
      v.resize(e.length / 8);
      const uint8_t* p = r.view(e.value, e.length);
      for (size_t i = 0; i < v.size(); ++i) v[i] = load_le64(p + 8 * i);  // OV: uint64 little endian
    }
    pos = e.value + e.length;
  }
}

}  // namespace framecodec
