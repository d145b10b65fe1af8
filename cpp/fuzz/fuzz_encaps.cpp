// scan_fragments and build_frame_table on an encapsulated value: with the Basic Offset Table it holds (or an
// empty one), with an Extended Offset Table, and split by codestream markers. Whatever they accept must
// describe the buffer: every fragment inside it, each frame at least one fragment, in order; an Extended
// Offset Table frame that verify_extended_frames accepts is exactly its item. walk_items over the value read
// whole and in blocks of 12 + frames bytes (from a file offset near 2**64 when the mode's top bit is set) finds
// the same items, or the same error, and agrees with the scan.
//
// Input: mode (1 byte), frames (1 byte), offset (1 byte), for the Extended Offset Table mode 16 bytes per
// frame (offset and length, little endian), then the value.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
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

// The lazy table (a Basic Offset Table read in place, its frames' items walked frame by frame when read) against the
// eager walk: what one accepts the other accepts, with the same fragments, frame by frame (select_items) and all at
// once (resolve_items). An Extended Offset Table that does not lie in buf gives the eager table.
void check_lazy(ConstBytes buf, uint64_t offset, uint64_t n, const ExtendedOffsets* eot, Codestream c,
                const FrameTable* eager) {
  FrameTable lazy;
  try {
    lazy = build_frame_table(buf, offset, n, eot, c, /*lazy=*/true);
  } catch (const EncapsulationError&) {
    FUZZ_CHECK(eager == nullptr);  // the lazy build checks a subset of what the eager one does
    return;
  }
  if (!lazy.lazy()) {  // no Basic Offset Table (or the EOT elsewhere): the same table as the eager build
    FUZZ_CHECK(eager != nullptr && lazy.offsets == eager->offsets && lazy.frame_fragments == eager->frame_fragments);
    return;
  }
  FUZZ_CHECK(lazy.frames() == n && lazy.source == FrameSource::basic_offset_table);
  bool all_ok = true;
  std::vector<uint64_t> offsets, lengths;
  std::vector<uint64_t> ff{0};
  for (uint64_t i = 0; i < n; ++i) {
    const int64_t one = static_cast<int64_t>(i);
    std::vector<uint64_t> o, l, f;
    try {
      select_items(buf, lazy, &one, 1, o, l, f);
    } catch (const EncapsulationError&) {
      all_ok = false;
      continue;
    }
    FUZZ_CHECK(f.size() == 2 && f[1] == o.size() && !o.empty());
    offsets.insert(offsets.end(), o.begin(), o.end());
    lengths.insert(lengths.end(), l.begin(), l.end());
    ff.push_back(offsets.size());
  }
  FUZZ_CHECK(all_ok == (eager != nullptr));
  if (!all_ok) return;
  FUZZ_CHECK(offsets == eager->offsets && lengths == eager->lengths && ff == eager->frame_fragments);
  const FrameTable full = resolve_items(buf, lazy);
  FUZZ_CHECK(full.offsets == eager->offsets && full.lengths == eager->lengths &&
             full.frame_fragments == eager->frame_fragments && full.end == eager->end &&
             full.has_delimiter == eager->has_delimiter && full.source == eager->source);
}

// The lazy Extended Offset Table, read where it lies: the table's values put before the data in one buffer, the
// lazy table of it against the eager one (made from a copy of the values): the same acceptance, and each frame's
// fragment from select_items where verify_extended_frames accepts it, an error where it refuses it.
void check_lazy_extended(ConstBytes data, uint64_t offset, uint64_t n, const std::vector<uint64_t>& eo,
                         const std::vector<uint64_t>& el, Codestream c) {
  const uint64_t head = 16 * n;
  std::vector<uint8_t> joined(head + data.size);
  for (uint64_t i = 0; i < n; ++i) {
    store_le64(joined.data() + 8 * i, eo[i]);
    store_le64(joined.data() + 8 * (n + i), el[i]);
  }
  if (data.size) std::memcpy(joined.data() + head, data.data, data.size);
  const ConstBytes buf{joined.data(), joined.size()};
  const ExtendedOffsetBytes copy = extended_offset_bytes(eo.data(), el.data(), n);
  const ExtendedOffsets copied = copy.view(), in_place{joined.data(), joined.data() + 8 * n, n};
  FrameTable eager, lazy;
  bool eager_ok = true, lazy_ok = true;
  try {
    eager = build_frame_table(buf, head + offset, n, &copied, c);
  } catch (const EncapsulationError&) {
    eager_ok = false;
  }
  try {
    lazy = build_frame_table(buf, head + offset, n, &in_place, c, /*lazy=*/true);
  } catch (const EncapsulationError&) {
    lazy_ok = false;
  }
  FUZZ_CHECK(lazy_ok == eager_ok);
  if (!eager_ok) return;
  FUZZ_CHECK(lazy.lazy() && lazy.frames() == n && lazy.offsets.empty() && lazy.end == eager.end &&
             lazy.has_delimiter == eager.has_delimiter && lazy.first_item == eager.first_item);
  for (uint64_t i = 0; i < n; ++i) {
    bool ok = true;
    try {
      verify_extended_frames(buf, eager.offsets.data(), eager.lengths.data(), n, i, i + 1);
    } catch (const EncapsulationError&) {
      ok = false;
    }
    const int64_t one = static_cast<int64_t>(i);
    std::vector<uint64_t> o, l, f;
    try {
      select_items(buf, lazy, &one, 1, o, l, f);
    } catch (const EncapsulationError&) {
      FUZZ_CHECK(!ok);
      continue;
    }
    FUZZ_CHECK(ok && o.size() == 1 && o[0] == eager.offsets[i] && l[0] == eager.lengths[i]);
  }
  const FrameTable full = resolve_items(buf, lazy);
  FUZZ_CHECK(full.offsets == eager.offsets && full.lengths == eager.lengths &&
             full.frame_fragments == eager.frame_fragments && full.source == eager.source);
}

// The walk of buf from offset, read in blocks of `block` bytes (>= 12: each block holds an item's header and
// head, so each one but the last makes progress), each from the last one's `next`.
ItemWalk walk_in_blocks(ConstBytes buf, uint64_t offset, uint64_t base, uint64_t block) {
  ItemWalk all;
  uint64_t cur = offset;
  while (true) {
    const ConstBytes b{buf.data + cur, std::min<uint64_t>(block, buf.size - cur)};
    ItemWalk w = walk_items(b, 0, base + cur);
    all.positions.insert(all.positions.end(), w.positions.begin(), w.positions.end());
    all.lengths.insert(all.lengths.end(), w.lengths.begin(), w.lengths.end());
    all.heads.insert(all.heads.end(), w.heads.begin(), w.heads.end());
    all.next = w.next;
    all.done = w.done;
    if (w.done || w.next - base >= buf.size || (w.positions.empty() && w.next == base + cur)) return all;
    FUZZ_CHECK(w.next > base + cur);
    cur = w.next - base;
  }
}

void check_walk(ConstBytes buf, uint64_t offset, uint64_t base, uint64_t block, const FragmentScan* scan) {
  ItemWalk w, wb;
  std::string error, block_error;
  try {
    w = walk_items(buf, offset, base);
  } catch (const EncapsulationError& e) {
    error = e.what();
  }
  if (offset > buf.size) {
    FUZZ_CHECK(!error.empty());
    return;
  }
  try {
    wb = walk_in_blocks(buf, offset, base, block);
  } catch (const EncapsulationError& e) {
    block_error = e.what();
  }
  FUZZ_CHECK(error == block_error);    // the same message: it names an absolute offset
  FUZZ_CHECK(error.empty() || !scan);  // what the scan accepts is items back to back inside the buffer
  if (!error.empty()) return;
  FUZZ_CHECK(w.positions == wb.positions && w.lengths == wb.lengths && w.heads == wb.heads);
  FUZZ_CHECK(w.next == wb.next && w.done == wb.done);
  const size_t k = w.positions.size();
  FUZZ_CHECK(w.lengths.size() == k && w.heads.size() == 4 * k);
  uint64_t pos = base + offset;
  for (size_t i = 0; i < k; ++i) {  // back to back; each header and head inside the buffer, the head its bytes
    FUZZ_CHECK(w.positions[i] == pos);
    const uint64_t rel = pos - base, head = std::min<uint64_t>(w.lengths[i], 4);
    FUZZ_CHECK(rel + 8 + head <= buf.size && w.lengths[i] == load_le32(buf.data + rel + 4));
    for (uint64_t j = 0; j < 4; ++j) FUZZ_CHECK(w.heads[4 * i + j] == (j < head ? buf.data[rel + 8 + j] : 0));
    pos += 8 + w.lengths[i];
  }
  FUZZ_CHECK(w.next == pos + (w.done ? 8 : 0));
  if (scan) {  // the scan's BOT item and fragments, and its end: past the delimiter or the buffer's end
    FUZZ_CHECK(k == scan->offsets.size() + 1);
    for (size_t i = 1; i < k; ++i) FUZZ_CHECK(w.positions[i] == base + scan->offsets[i - 1] - 8);
    FUZZ_CHECK(w.done == scan->has_delimiter && w.next == base + scan->end);
  }
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
  const uint64_t base = (mode & 0x80) ? UINT64_MAX - buf.size : 1000;
  check_walk(buf, offset, base, 12 + n, scanned ? &s : nullptr);

  static const Codestream kCodestreams[] = {Codestream::detect, Codestream::jpeg, Codestream::jpeg2000,
                                            Codestream::none};
  const ExtendedOffsetBytes eot_bytes = extended_offset_bytes(eo.data(), el.data(), eo.size());
  const ExtendedOffsets eot = eot_bytes.view();
  FrameTable t;
  bool eager_ok = true;
  try {
    t = build_frame_table(buf, offset, n, mode % 4 == 2 ? &eot : nullptr, kCodestreams[(mode >> 2) % 4]);
  } catch (const EncapsulationError&) {
    eager_ok = false;
  }
  check_lazy(buf, offset, n, mode % 4 == 2 ? &eot : nullptr, kCodestreams[(mode >> 2) % 4], eager_ok ? &t : nullptr);
  if (mode % 4 == 2) check_lazy_extended(buf, offset, n, eo, el, kCodestreams[(mode >> 2) % 4]);
  if (!eager_ok) return 0;
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
