#include "dataset_locate.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>

#include "errors.h"
#include "le.h"
#include "tags.h"

namespace framecodec {

namespace {

constexpr size_t kBlock = 64 * 1024;
constexpr int kMaxDepth = 64;  // nested sequences; real data sets nest a few levels

const char* const kImplicitVRLittleEndian = "1.2.840.10008.1.2";
const char* const kExplicitVRBigEndian = "1.2.840.10008.1.2.2";
const char* const kDeflatedExplicitVRLittleEndian = "1.2.840.10008.1.2.1.99";

[[noreturn]] void fail(const std::string& msg) { throw EncapsulationError(msg); }

std::string at(uint64_t pos) { return " at offset " + std::to_string(pos); }

// PS3.5 Table 6.2-1: the VRs. Of these, PS3.5 7.1.2 gives a 2-byte reserved field and a 4-byte length to
// OB OD OF OL OV OW SQ SV UC UN UR UT UV; the rest have a 2-byte length.
bool known_vr(const uint8_t* p, bool* long_length) {
  static const char* const kShort[] = {"AE", "AS", "AT", "CS", "DA", "DS", "DT", "FL", "FD", "IS", "LO",
                                       "LT", "PN", "SH", "SL", "SS", "ST", "TM", "UI", "UL", "US"};
  static const char* const kLong[] = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"};
  for (const char* v : kLong)
    if (p[0] == v[0] && p[1] == v[1]) return *long_length = true;
  for (const char* v : kShort)
    if (p[0] == v[0] && p[1] == v[1]) {
      *long_length = false;
      return true;
    }
  return false;
}

std::string strip_value(const uint8_t* p, size_t n) {
  std::string s(reinterpret_cast<const char*>(p), n);
  size_t e = s.find_last_not_of(std::string(" \0", 2));
  s.erase(e == std::string::npos ? 0 : e + 1);
  size_t b = s.find_first_not_of(' ');
  return b == std::string::npos ? std::string() : s.substr(b);
}

// An IS value (PS3.5 Table 6.2-1): optional sign, digits, leading and trailing spaces. -1 when not one integer.
int64_t parse_is(const uint8_t* p, size_t n) {
  std::string s = strip_value(p, n);
  size_t i = (!s.empty() && s[0] == '+') ? 1 : 0;
  if (i == s.size() || s.size() > 12) return -1;
  int64_t v = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

struct Element {
  uint32_t tag;
  uint32_t length;
  uint64_t value;  // where the value starts
  char vr[3];      // "" in implicit VR and for item/delimitation tags
};

class Parser {
 public:
  explicit Parser(ByteSource& src) : src_(src), size_(src.size()) {}

  PixelDataLocation run() {
    PixelDataLocation loc;
    uint64_t pos = 0;
    // PS3.10 7.1: a 128-byte preamble, "DICM", then the File Meta Information group (0002) in explicit VR LE.
    if (size_ >= 132 && std::memcmp(src_.view(128, 4), "DICM", 4) == 0) pos = 132;
    bool meta_explicit = true;
    bool first = true;
    while (size_ - pos >= 8 && load_le16(src_.view(pos, 2)) == 0x0002) {
      if (first) meta_explicit = looks_explicit(pos);  // some writers put the meta in implicit VR
      first = false;
      Element e = header(pos, meta_explicit);
      if (e.length == kUndefinedLength) fail("file meta element " + format_tag(e.tag) + at(pos) + " has undefined length");
      check_value(e, pos);
      if (e.tag == kTransferSyntaxUidTag && e.length <= 256) loc.transfer_syntax = strip_value(src_.view(e.value, e.length), e.length);
      pos = e.value + e.length;
    }

    const std::string& ts = loc.transfer_syntax;
    if (ts == kExplicitVRBigEndian)
      fail("the data set is Explicit VR Big Endian (" + ts + "), which is not supported; only little endian");
    if (ts == kDeflatedExplicitVRLittleEndian)
      fail("the data set is deflated (Deflated Explicit VR Little Endian, " + ts + "); inflate it first");
    // Follow the encoding the data set actually has when it contradicts the transfer syntax (pydicom does too).
    bool explicit_vr = ts.empty() ? true : ts != kImplicitVRLittleEndian;
    if (size_ - pos >= 8 && load_le16(src_.view(pos, 2)) != 0xFFFE) explicit_vr = looks_explicit(pos);
    loc.explicit_vr = explicit_vr;

    while (true) {
      if (pos == size_) fail("no Pixel Data (7FE0,0010) in the top-level data set (it ends" + at(pos) + ")");
      Element e = header(pos, explicit_vr);
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
      if (e.tag == kItemTag) fail("unexpected item tag (FFFE,E000)" + at(pos) + " in the top-level data set");
      if (e.length == kUndefinedLength) {
        pos = skip_undefined(e, pos, explicit_vr, 1);
        continue;
      }
      check_value(e, pos);
      if (e.tag == kNumberOfFramesTag) {
        loc.number_of_frames = e.length <= 64 ? parse_is(src_.view(e.value, e.length), e.length) : -1;
      } else if (e.tag == kExtendedOffsetTableTag || e.tag == kExtendedOffsetTableLengthsTag) {
        bool lengths = e.tag == kExtendedOffsetTableLengthsTag;
        if (e.length % 8 != 0)
          fail(std::string(lengths ? "Extended Offset Table Lengths (7FE0,0002)" : "Extended Offset Table (7FE0,0001)") +
               at(pos) + " has length " + std::to_string(e.length) + ", not a multiple of 8");
        std::vector<uint64_t>& v = lengths ? loc.extended_lengths : loc.extended_offsets;
        (lengths ? loc.has_extended_lengths : loc.has_extended_offsets) = true;
        v.resize(e.length / 8);
        const uint8_t* p = src_.view(e.value, e.length);
        for (size_t i = 0; i < v.size(); ++i) v[i] = load_le64(p + 8 * i);  // OV: uint64 little endian
      }
      pos = e.value + e.length;
    }
  }

 private:
  // The two bytes after the first tag at pos spell a VR (explicit) or are part of a 4-byte length (implicit).
  bool looks_explicit(uint64_t pos) {
    bool long_length;
    return size_ - pos >= 6 && known_vr(src_.view(pos + 4, 2), &long_length);
  }

  // PS3.5 7.1.2 (explicit VR), 7.1.3 (implicit VR), 7.5 (item and delimitation tags never have a VR).
  Element header(uint64_t pos, bool explicit_vr) {
    if (size_ - pos < 8)
      fail("truncated data set: an element header" + at(pos) + " needs 8 bytes, " + std::to_string(size_ - pos) +
           " remain");
    const uint8_t* p = src_.view(pos, 8);
    Element e{load_tag_le(p), 0, 0, {0, 0, 0}};
    if (!explicit_vr || (e.tag >> 16) == 0xFFFE) {
      e.length = load_le32(p + 4);
      e.value = pos + 8;
      return e;
    }
    bool long_length;
    if (!known_vr(p + 4, &long_length))
      fail("element " + format_tag(e.tag) + at(pos) + " has no valid VR (bytes " + hex2(p[4]) + " " + hex2(p[5]) +
           ") in an explicit VR data set");
    e.vr[0] = static_cast<char>(p[4]);
    e.vr[1] = static_cast<char>(p[5]);
    if (!long_length) {
      e.length = load_le16(p + 6);
      e.value = pos + 8;
      return e;
    }
    if (size_ - pos < 12)
      fail("truncated data set: the header of element " + format_tag(e.tag) + at(pos) + " needs 12 bytes, " +
           std::to_string(size_ - pos) + " remain");
    e.length = load_le32(src_.view(pos + 8, 4));
    e.value = pos + 12;
    return e;
  }

  static std::string hex2(uint8_t b) {
    char s[4];
    std::snprintf(s, sizeof s, "%02X", b);
    return s;
  }

  void check_value(const Element& e, uint64_t pos) {
    if (e.length > size_ - e.value)
      fail("truncated data set: element " + format_tag(e.tag) + at(pos) + " has length " + std::to_string(e.length) +
           " but only " + std::to_string(size_ - e.value) + " bytes follow its header");
  }

  // An element of undefined length: a sequence (SQ; any such element in implicit VR), UN holding an implicit
  // VR sequence (PS3.5 6.2.2), or encapsulated OB/OW Pixel Data nested in a sequence. All are items up to
  // the sequence delimiter. Returns the position after it.
  uint64_t skip_undefined(const Element& e, uint64_t pos, bool explicit_vr, int depth) {
    std::string vr = e.vr;
    if (explicit_vr && vr != "SQ" && vr != "UN" && vr != "OB" && vr != "OW")
      fail("element " + format_tag(e.tag) + at(pos) + " with VR " + vr + " has undefined length");
    return skip_sequence(e.value, explicit_vr && vr != "UN", depth);
  }

  uint64_t skip_sequence(uint64_t pos, bool explicit_vr, int depth) {
    if (depth > kMaxDepth) fail("sequences nested more than " + std::to_string(kMaxDepth) + " deep" + at(pos));
    while (true) {
      if (size_ - pos < 8)
        fail("truncated data set: a sequence of undefined length is not closed by a sequence delimiter before the "
             "end of the data" + at(pos));
      const uint8_t* p = src_.view(pos, 8);
      uint32_t tag = load_tag_le(p);
      uint32_t len = load_le32(p + 4);
      if (tag == kSequenceDelimitationTag) return pos + 8;
      if (tag != kItemTag)
        fail("unexpected tag " + format_tag(tag) + at(pos) + " in a sequence: expected an item (FFFE,E000) or the "
             "sequence delimiter (FFFE,E0DD)");
      if (len == kUndefinedLength) {
        pos = skip_item(pos + 8, explicit_vr, depth + 1);
      } else {
        if (len > size_ - pos - 8)
          fail("truncated data set: the item" + at(pos) + " has length " + std::to_string(len) + " but only " +
               std::to_string(size_ - pos - 8) + " bytes follow its header");
        pos += 8 + uint64_t{len};
      }
    }
  }

  // The data set of an item of undefined length, up to its item delimiter.
  uint64_t skip_item(uint64_t pos, bool explicit_vr, int depth) {
    if (depth > kMaxDepth) fail("sequences nested more than " + std::to_string(kMaxDepth) + " deep" + at(pos));
    while (true) {
      if (size_ - pos < 8)
        fail("truncated data set: an item of undefined length is not closed by an item delimiter before the end "
             "of the data" + at(pos));
      Element e = header(pos, explicit_vr);
      if (e.tag == kItemDelimitationTag) return e.value;
      if (e.tag == kItemTag || e.tag == kSequenceDelimitationTag)
        fail("unexpected tag " + format_tag(e.tag) + at(pos) + " inside an item of undefined length");
      if (e.length == kUndefinedLength) {
        pos = skip_undefined(e, pos, explicit_vr, depth + 1);
      } else {
        check_value(e, pos);
        pos = e.value + e.length;
      }
    }
  }

  ByteSource& src_;
  const uint64_t size_;
};

}  // namespace

FileSource::FileSource(const std::string& path) {
  errno = 0;
  file_.open(path, std::ios::binary);
  if (!file_) throw std::system_error(errno ? errno : ENOENT, std::generic_category(), path);
  file_.seekg(0, std::ios::end);
  std::streamoff end = file_.tellg();
  if (end < 0) throw std::system_error(errno ? errno : EIO, std::generic_category(), path);
  size_ = static_cast<uint64_t>(end);
}

const uint8_t* FileSource::view(uint64_t pos, size_t n) {
  const uint64_t window_end = window_pos_ + window_len_;
  if (pos >= window_pos_ && pos + n <= window_end) return window_.data() + (pos - window_pos_);
  // Read forward from pos, at least a block, keeping what the window already holds from pos on: the
  // parser moves forward, so no byte of the header is read twice.
  const size_t want = static_cast<size_t>(std::min<uint64_t>(std::max(n, kBlock), size_ - pos));
  size_t keep = 0;
  if (pos >= window_pos_ && pos < window_end) keep = static_cast<size_t>(window_end - pos);
  if (window_.size() < want) window_.resize(want);
  if (keep) std::memmove(window_.data(), window_.data() + (pos - window_pos_), keep);
  file_.clear();
  file_.seekg(static_cast<std::streamoff>(pos + keep));
  file_.read(reinterpret_cast<char*>(window_.data() + keep), static_cast<std::streamsize>(want - keep));
  const size_t got = keep + static_cast<size_t>(file_.gcount());
  bytes_read_ += static_cast<uint64_t>(file_.gcount());
  window_pos_ = pos;
  window_len_ = got;
  if (got < n) throw std::system_error(errno ? errno : EIO, std::generic_category(), "read");
  return window_.data();
}

PixelDataLocation locate_pixel_data(ByteSource& src) { return Parser(src).run(); }

}  // namespace framecodec
