#include "dataset_walk.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

#include "errors.h"
#include "le.h"
#include "tags.h"

namespace framecodec {

namespace {

const char* const kImplicitVRLittleEndian = "1.2.840.10008.1.2";
const char* const kExplicitVRBigEndian = "1.2.840.10008.1.2.2";
const char* const kDeflatedExplicitVRLittleEndian = "1.2.840.10008.1.2.1.99";

std::string hex2(uint8_t b) {
  char s[4];
  std::snprintf(s, sizeof s, "%02X", b);
  return s;
}

}  // namespace

void data_set_error(const std::string& msg) { throw EncapsulationError(msg); }

std::string at_offset(uint64_t pos) { return " at offset " + std::to_string(pos); }

std::string_view strip_view(const uint8_t* p, size_t n) {
  size_t b = 0, e = n;
  while (e > b && (p[e - 1] == ' ' || p[e - 1] == 0)) --e;
  while (b < e && p[b] == ' ') ++b;
  return {reinterpret_cast<const char*>(p + b), e - b};
}

std::string strip_value(const uint8_t* p, size_t n) { return std::string(strip_view(p, n)); }

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

bool parse_ds(const uint8_t* p, size_t n, double* out) {
  size_t b = 0, e = n;
  while (e > b && (p[e - 1] == ' ' || p[e - 1] == 0)) --e;
  while (b < e && p[b] == ' ') ++b;
  if (b == e) {
    *out = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  // Only the characters DS allows: no "inf" or "nan", no hexadecimal, no second value after a backslash.
  for (size_t i = b; i < e; ++i) {
    const uint8_t c = p[i];
    if (!((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.' || c == 'e' || c == 'E')) return false;
  }
  if (p[b] == '+' && e - b > 1 && p[b + 1] != '-' && p[b + 1] != '+') ++b;  // from_chars takes no leading '+'
  const char* first = reinterpret_cast<const char*>(p + b);
  const char* last = reinterpret_cast<const char*>(p + e);
  double v = 0;
  std::from_chars_result r = std::from_chars(first, last, v);  // locale-independent, unlike strtod
  if (r.ec != std::errc() || r.ptr != last || !std::isfinite(v)) return false;
  *out = v;
  return true;
}

DataSetStart DataSetReader::start() {
  DataSetStart out;
  uint64_t pos = 0;
  // PS3.10 7.1: a 128-byte preamble, "DICM", then the File Meta Information group (0002) in explicit VR LE.
  if (size_ >= 132 && std::memcmp(view(128, 4), "DICM", 4) == 0) pos = 132;
  bool meta_explicit = true;
  bool first = true;
  while (size_ - pos >= 8 && load_le16(view(pos, 2)) == 0x0002) {
    if (first) meta_explicit = looks_explicit(pos);  // some writers put the meta in implicit VR
    first = false;
    Element e = header(pos, meta_explicit);
    if (e.length == kUndefinedLength)
      data_set_error("file meta element " + format_tag(e.tag) + at_offset(pos) + " has undefined length");
    check_value(e, pos);
    if (e.tag == kTransferSyntaxUidTag && e.length <= 256)
      out.transfer_syntax = strip_value(view(e.value, e.length), e.length);
    pos = e.value + e.length;
  }

  const std::string& ts = out.transfer_syntax;
  if (ts == kExplicitVRBigEndian)
    data_set_error("the data set is Explicit VR Big Endian (" + ts + "), which is not supported; only little endian");
  if (ts == kDeflatedExplicitVRLittleEndian)
    data_set_error("the data set is deflated (Deflated Explicit VR Little Endian, " + ts + "); inflate it first");
  // Follow the encoding the data set actually has when it contradicts the transfer syntax (pydicom does too).
  out.explicit_vr = ts.empty() ? true : ts != kImplicitVRLittleEndian;
  if (size_ - pos >= 8 && load_le16(view(pos, 2)) != 0xFFFE) out.explicit_vr = looks_explicit(pos);
  out.pos = pos;
  return out;
}

bool DataSetReader::looks_explicit(uint64_t pos) {
  bool long_length;
  return size_ - pos >= 6 && known_vr(view(pos + 4, 2), &long_length);
}

void DataSetReader::truncated_header(uint64_t pos, int needed, uint32_t tag) {
  if (needed == 8)
    data_set_error("truncated data set: an element header" + at_offset(pos) + " needs 8 bytes, " +
                   std::to_string(size_ - pos) + " remain");
  data_set_error("truncated data set: the header of element " + format_tag(tag) + at_offset(pos) + " needs 12 bytes, " +
                 std::to_string(size_ - pos) + " remain");
}

void DataSetReader::no_vr(uint32_t tag, uint64_t pos, uint8_t b0, uint8_t b1) {
  data_set_error("element " + format_tag(tag) + at_offset(pos) + " has no valid VR (bytes " + hex2(b0) + " " +
                 hex2(b1) + ") in an explicit VR data set");
}

void DataSetReader::check_value(const Element& e, uint64_t pos) {
  if (e.length > size_ - e.value)
    data_set_error("truncated data set: element " + format_tag(e.tag) + at_offset(pos) + " has length " +
                   std::to_string(e.length) + " but only " + std::to_string(size_ - e.value) +
                   " bytes follow its header");
}

uint64_t DataSetReader::skip_undefined(const Element& e, uint64_t pos, bool explicit_vr, int depth) {
  std::string vr = e.vr;
  if (explicit_vr && vr != "SQ" && vr != "UN" && vr != "OB" && vr != "OW")
    data_set_error("element " + format_tag(e.tag) + at_offset(pos) + " with VR " + vr + " has undefined length");
  return skip_sequence(e.value, explicit_vr && vr != "UN", depth);
}

uint64_t DataSetReader::skip_sequence(uint64_t pos, bool explicit_vr, int depth) {
  if (depth > kMaxSequenceDepth)
    data_set_error("sequences nested more than " + std::to_string(kMaxSequenceDepth) + " deep" + at_offset(pos));
  while (true) {
    if (size_ - pos < 8)
      data_set_error(
          "truncated data set: a sequence of undefined length is not closed by a sequence delimiter "
          "before the end of the data" +
          at_offset(pos));
    const uint8_t* p = view(pos, 8);
    uint32_t tag = load_tag_le(p);
    uint32_t len = load_le32(p + 4);
    if (tag == kSequenceDelimitationTag) return pos + 8;
    if (tag != kItemTag)
      data_set_error("unexpected tag " + format_tag(tag) + at_offset(pos) +
                     " in a sequence: expected an item "
                     "(FFFE,E000) or the sequence delimiter (FFFE,E0DD)");
    if (len == kUndefinedLength) {
      pos = skip_item(pos + 8, explicit_vr, depth);  // an item is not a level: its sequences are
    } else {
      if (len > size_ - pos - 8)
        data_set_error("truncated data set: the item" + at_offset(pos) + " has length " + std::to_string(len) +
                       " but only " + std::to_string(size_ - pos - 8) + " bytes follow its header");
      pos += 8 + uint64_t{len};
    }
  }
}

uint64_t DataSetReader::skip_item(uint64_t pos, bool explicit_vr, int depth) {
  while (true) {
    if (size_ - pos < 8)
      data_set_error(
          "truncated data set: an item of undefined length is not closed by an item delimiter before "
          "the end of the data" +
          at_offset(pos));
    Element e = header(pos, explicit_vr);
    if (e.tag == kItemDelimitationTag) return e.value;
    if (e.tag == kItemTag || e.tag == kSequenceDelimitationTag)
      data_set_error("unexpected tag " + format_tag(e.tag) + at_offset(pos) + " inside an item of undefined length");
    if (e.length == kUndefinedLength) {
      pos = skip_undefined(e, pos, explicit_vr, depth + 1);
    } else {
      check_value(e, pos);
      pos = e.value + e.length;
    }
  }
}

}  // namespace framecodec
