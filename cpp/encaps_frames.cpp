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
  if (c == Codestream::jpeg) return length >= 2 && p[0] == 0xFF && p[1] == 0xD8;  // PS3.5 A.4.1: SOI
  return length >= 4 && p[0] == 0xFF && p[1] == 0x4F && p[2] == 0xFF && p[3] == 0x51;  // A.4.4: SOC then SIZ
}

// Assigns frames from a table of item offsets (EOT or BOT, counted from the first item after the BOT).
// Fragments are in increasing offset order, so one forward pass matches them. Returns, for each frame,
// the index of its first fragment.
template <class OffsetAt>
std::vector<uint64_t> match_offsets(const FragmentScan& s, uint64_t n, OffsetAt offset_at, const char* table) {
  std::vector<uint64_t> first(n + 1);
  const size_t nfrag = s.offsets.size();
  size_t j = 0;
  uint64_t prev = 0;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t off = offset_at(i);
    if (i > 0 && off <= prev)
      fail(frame_msg(i) + "the " + table + " offset " + std::to_string(off) + " does not increase (frame " +
           std::to_string(i - 1) + " is at " + std::to_string(prev) + ")");
    prev = off;
    // The item tag a frame starts at; its value is 8 bytes further (fragment offsets point at values).
    uint64_t target = s.first_item + off;
    if (off > s.end || target > s.end)
      fail(frame_msg(i) + "the " + table + " offset " + std::to_string(off) + " is past the end of the Pixel Data");
    while (j < nfrag && s.offsets[j] - 8 < target) ++j;
    if (j == nfrag)
      fail(frame_msg(i) + "the " + table + " offset " + std::to_string(off) + " (byte " + std::to_string(target) +
           ") is past the last fragment's item tag");
    if (s.offsets[j] - 8 != target)
      fail(frame_msg(i) + "the " + table + " offset " + std::to_string(off) + " (byte " + std::to_string(target) +
           ") does not land on an item tag; the nearest fragment item starts at byte " +
           std::to_string(s.offsets[j] - 8));
    if (i == 0 && j != 0)
      fail(frame_msg(0) + "the " + table + " offset is " + std::to_string(off) + ", not 0: the first " +
           std::to_string(j) + " fragment(s) belong to no frame");
    first[i] = j;
  }
  first[n] = nfrag;
  return first;
}

}  // namespace

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
                             Codestream codestream) {
  if (n == 0) throw std::invalid_argument("number_of_frames must be at least 1");
  FragmentScan s = scan_fragments(buf, offset);
  FrameTable t;
  t.first_item = s.first_item;
  t.end = s.end;
  t.has_delimiter = s.has_delimiter;
  const uint64_t nfrag = s.offsets.size();
  if (nfrag < n)
    fail("too few fragments: " + std::to_string(n) + " frames but only " + std::to_string(nfrag) +
         " fragment(s) in the Pixel Data (frame " + std::to_string(nfrag) + " has none)");

  if (eot != nullptr) {
    // PS3.3 C.7.6.3.1.8: one fragment per frame; offsets of item tags from the first item after the (empty) BOT.
    if (eot->count != n)
      fail("the Extended Offset Table has " + std::to_string(eot->count) + " entries but there are " +
           std::to_string(n) + " frames");
    t.frame_fragments = match_offsets(s, n, [eot](uint64_t i) { return eot->offsets[i]; }, "Extended Offset Table");
    t.offsets.resize(n);
    t.lengths.resize(n);
    for (uint64_t i = 0; i < n; ++i) {
      uint64_t j = t.frame_fragments[i];
      if (t.frame_fragments[i + 1] - j != 1)
        fail(frame_msg(i) + "spans " + std::to_string(t.frame_fragments[i + 1] - j) +
             " fragments, but with an Extended Offset Table each frame must be one fragment (PS3.3 C.7.6.3.1.8)");
      if (eot->lengths[i] > s.lengths[j])
        fail(frame_msg(i) + "the Extended Offset Table length " + std::to_string(eot->lengths[i]) +
             " exceeds its fragment's length " + std::to_string(s.lengths[j]));
      t.offsets[i] = s.offsets[j];
      t.lengths[i] = eot->lengths[i];
      t.frame_fragments[i] = i;
    }
    t.frame_fragments[n] = n;
    t.source = FrameSource::extended_offset_table;
    return t;
  }

  if (!s.basic_offsets.empty()) {
    // PS3.5 A.4: one uint32 per frame, the offset of its first fragment's item tag from the first item after the BOT.
    if (s.basic_offsets.size() != n)
      fail("the Basic Offset Table has " + std::to_string(s.basic_offsets.size()) + " entries but there are " +
           std::to_string(n) + " frames");
    t.frame_fragments = match_offsets(s, n, [&s](uint64_t i) { return s.basic_offsets[i]; }, "Basic Offset Table");
    t.source = FrameSource::basic_offset_table;
  } else if (nfrag == n) {
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

}  // namespace framecodec
