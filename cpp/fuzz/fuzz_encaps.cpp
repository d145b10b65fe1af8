// scan_fragments and build_frame_table on an encapsulated value: with the Basic Offset Table it holds (or an
// empty one), with an Extended Offset Table, and split by codestream markers. Whatever they accept must
// describe the buffer: every fragment inside it, each frame at least one fragment, in order; an Extended
// Offset Table frame that verify_extended_frames accepts is exactly its item.
//
// Input: mode (1 byte), frames (1 byte), offset (1 byte), for the Extended Offset Table mode 16 bytes per
// frame (offset and length, little endian), then the value.
#include <stdexcept>
#include <vector>

#include "encaps_frames.h"
#include "encaps_scan.h"
#include "errors.h"
#include "fuzz_input.h"
#include "le.h"

using namespace framecodec;
using namespace framecodec::fuzz;

namespace {

void check_table(ConstBytes buf, const FrameTable& t, uint64_t n) {
  FUZZ_CHECK(t.frame_fragments.size() == n + 1);
  FUZZ_CHECK(t.offsets.size() == t.lengths.size());
  FUZZ_CHECK(t.frame_fragments[0] == 0 && t.frame_fragments[n] == t.offsets.size());
  for (uint64_t i = 0; i < n; ++i) FUZZ_CHECK(t.frame_fragments[i] < t.frame_fragments[i + 1]);
  for (size_t k = 0; k < t.offsets.size(); ++k) {
    FUZZ_CHECK(t.offsets[k] >= 8 && t.offsets[k] <= buf.size);
    FUZZ_CHECK(t.lengths[k] <= buf.size - t.offsets[k]);
    if (k) FUZZ_CHECK(t.offsets[k] > t.offsets[k - 1]);
  }
  FUZZ_CHECK(t.end <= buf.size);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in{data, size};
  const uint8_t mode = in.u8();
  const uint64_t n = 1 + in.u8() % 64;
  const uint64_t offset = in.u8() % 16;
  std::vector<uint64_t> eo, el;
  if (mode % 4 == 2) {
    const ConstBytes table = in.take(16 * n);
    if (table.size < 16 * n) return 0;
    for (uint64_t i = 0; i < n; ++i) {
      eo.push_back(load_le64(table.data + 16 * i));
      el.push_back(load_le64(table.data + 16 * i + 8));
    }
  }
  const ConstBytes buf = in.rest();

  FragmentScan s;
  bool scanned = true;
  try {
    s = scan_fragments(buf, offset);
  } catch (const EncapsulationError&) {
    scanned = false;
  } catch (const std::invalid_argument&) {
    FUZZ_CHECK(offset > buf.size);
    return 0;
  }
  if (scanned) {
    FUZZ_CHECK(s.offsets.size() == s.lengths.size());
    uint64_t pos = s.first_item;
    for (size_t k = 0; k < s.offsets.size(); ++k) {  // back to back, each inside the buffer
      FUZZ_CHECK(s.offsets[k] == pos + 8 && s.lengths[k] <= buf.size - s.offsets[k]);
      pos = s.offsets[k] + s.lengths[k];
    }
    FUZZ_CHECK(s.end == pos + (s.has_delimiter ? 8 : 0) && s.end <= buf.size);
  }

  static const Codestream kCodestreams[] = {Codestream::detect, Codestream::jpeg, Codestream::jpeg2000,
                                            Codestream::none};
  const ExtendedOffsets eot{eo.data(), el.data(), eo.size()};
  FrameTable t;
  try {
    t = build_frame_table(buf, offset, n, mode % 4 == 2 ? &eot : nullptr, kCodestreams[(mode >> 2) % 4]);
  } catch (const EncapsulationError&) {
    return 0;
  }
  check_table(buf, t, n);
  if (t.source == FrameSource::one_fragment_per_frame || t.source == FrameSource::single_frame ||
      t.source == FrameSource::codestream_markers) {
    FUZZ_CHECK(scanned && t.offsets == s.offsets && t.lengths == s.lengths);  // the scan's fragments
  }
  if (t.source == FrameSource::extended_offset_table) {
    for (uint64_t i = 0; i < n; ++i) {
      try {
        verify_extended_frames(buf, t.offsets.data(), t.lengths.data(), n, i, i + 1);
      } catch (const EncapsulationError&) {
        continue;
      }
      FUZZ_CHECK(load_tag_le(buf.data + t.offsets[i] - 8) == 0xFFFEE000);
      const uint32_t item = load_le32(buf.data + t.offsets[i] - 4);  // the whole item, or all but its pad byte
      FUZZ_CHECK(t.lengths[i] == item || (t.lengths[i] + 1 == item && buf.data[t.offsets[i] + t.lengths[i]] == 0));
    }
  }
  return 0;
}
