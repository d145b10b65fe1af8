// Reading a DICOM data set element by element without building it: the preamble and file meta (PS3.10
// 7.1), element headers in explicit and implicit VR little endian (PS3.5 7.1), and skipping values and
// sequences of undefined length. locate_pixel_data and the tile position walk both read through this.
// Every read is bounds-checked against the source; problems throw EncapsulationError naming the offset.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "byte_source.h"
#include "le.h"

namespace framecodec {

// Sequences nested in sequences' items, the top-level one counted 1: deeper is refused (real data sets nest a
// few levels; each level is a stack frame of the walk).
constexpr int kMaxSequenceDepth = 64;

struct Element {
  uint32_t tag;
  uint32_t length;
  uint64_t value;  // where the value starts
  char vr[3];      // "" in implicit VR and for item/delimitation tags
};

// Throws EncapsulationError(msg).
[[noreturn]] void data_set_error(const std::string& msg);
// " at offset 1234", for messages.
std::string at_offset(uint64_t pos);

// PS3.5 Table 6.2-1: whether p[0..1] spell a VR. Of these, PS3.5 7.1.2 gives a 2-byte reserved field and
// a 4-byte length to OB OD OF OL OV OW SQ SV UC UN UR UT UV (*long_length); the rest have a 2-byte length.
// Inline and a switch: it runs for every element header of a walk.
inline bool known_vr(const uint8_t* p, bool* long_length) {
  constexpr auto vr = [](char a, char b) { return (static_cast<unsigned>(a) << 8) | static_cast<unsigned>(b); };
  switch ((static_cast<unsigned>(p[0]) << 8) | p[1]) {
    case vr('O', 'B'):
    case vr('O', 'D'):
    case vr('O', 'F'):
    case vr('O', 'L'):
    case vr('O', 'V'):
    case vr('O', 'W'):
    case vr('S', 'Q'):
    case vr('S', 'V'):
    case vr('U', 'C'):
    case vr('U', 'N'):
    case vr('U', 'R'):
    case vr('U', 'T'):
    case vr('U', 'V'): *long_length = true; return true;
    case vr('A', 'E'):
    case vr('A', 'S'):
    case vr('A', 'T'):
    case vr('C', 'S'):
    case vr('D', 'A'):
    case vr('D', 'S'):
    case vr('D', 'T'):
    case vr('F', 'L'):
    case vr('F', 'D'):
    case vr('I', 'S'):
    case vr('L', 'O'):
    case vr('L', 'T'):
    case vr('P', 'N'):
    case vr('S', 'H'):
    case vr('S', 'L'):
    case vr('S', 'S'):
    case vr('S', 'T'):
    case vr('T', 'M'):
    case vr('U', 'I'):
    case vr('U', 'L'):
    case vr('U', 'S'): *long_length = false; return true;
    default: return false;
  }
}
// A string value without its padding: trailing spaces and NULs, leading spaces; as a view of p, or a copy.
std::string_view strip_view(const uint8_t* p, size_t n);
std::string strip_value(const uint8_t* p, size_t n);
// An IS value (PS3.5 Table 6.2-1): optional sign, digits, leading and trailing spaces. -1 when not one
// non-negative integer.
int64_t parse_is(const uint8_t* p, size_t n);
// A DS value (PS3.5 Table 6.2-1) of one number: fixed or floating point, optional sign, leading and trailing
// spaces. An empty value gives NaN. False when the value is not one finite decimal number.
bool parse_ds(const uint8_t* p, size_t n, double* out);

// Where the data set starts after the optional preamble and file meta, and how it is encoded.
struct DataSetStart {
  uint64_t pos = 0;
  std::string transfer_syntax;  // (0002,0010) without padding; "" when there is no file meta
  bool explicit_vr = true;
};

class DataSetReader {
 public:
  explicit DataSetReader(ByteSource& src) : src_(src), size_(src.size()) {}

  uint64_t size() const { return size_; }
  // n bytes at pos; the caller has checked that they are inside the source. Valid until the next read.
  const uint8_t* view(uint64_t pos, size_t n) { return src_.view(pos, n); }

  // Reads the preamble and file meta. Without a Transfer Syntax UID the encoding is recognised from the
  // first element, and a data set that contradicts its declared VR encoding is read as it is encoded (as
  // pydicom does). Throws for big endian and deflated transfer syntaxes.
  DataSetStart start();

  // The element header at pos (PS3.5 7.1.2 explicit VR, 7.1.3 implicit VR, 7.5 item and delimitation
  // tags, which never have a VR). The value is not checked against the source: see check_value.
  // Inline: a walk reads one for every element; the messages are built out of line.
  Element header(uint64_t pos, bool explicit_vr) {
    if (size_ - pos < 8) truncated_header(pos, 8);
    const uint8_t* p = view(pos, 8);
    Element e{load_tag_le(p), 0, 0, {0, 0, 0}};
    if (!explicit_vr || (e.tag >> 16) == 0xFFFE) {
      e.length = load_le32(p + 4);
      e.value = pos + 8;
      return e;
    }
    bool long_length;
    if (!known_vr(p + 4, &long_length)) no_vr(e.tag, pos, p[4], p[5]);
    e.vr[0] = static_cast<char>(p[4]);
    e.vr[1] = static_cast<char>(p[5]);
    if (!long_length) {
      e.length = load_le16(p + 6);
      e.value = pos + 8;
      return e;
    }
    if (size_ - pos < 12) truncated_header(pos, 12, e.tag);
    e.length = load_le32(view(pos + 8, 4));
    e.value = pos + 12;
    return e;
  }
  // Throws when the defined-length value of e (whose header is at pos) runs past the end of the source.
  void check_value(const Element& e, uint64_t pos);

  // An element of undefined length: a sequence (SQ; any such element in implicit VR), UN holding an
  // implicit VR sequence (PS3.5 6.2.2), or encapsulated OB/OW Pixel Data nested in a sequence. All are
  // items up to the sequence delimiter. Returns the position after it. `depth` is the sequence's level (1 at
  // the top level); past kMaxSequenceDepth it throws.
  uint64_t skip_undefined(const Element& e, uint64_t pos, bool explicit_vr, int depth);
  // The items from pos up to and past the sequence delimiter, of a sequence at level `depth`.
  uint64_t skip_sequence(uint64_t pos, bool explicit_vr, int depth);
  // The data set of an item of undefined length from pos, up to and past its item delimiter; the item is in
  // a sequence at level `depth`, its own sequences one deeper.
  uint64_t skip_item(uint64_t pos, bool explicit_vr, int depth);

 private:
  // The two bytes after the first tag at pos spell a VR (explicit) or are part of a 4-byte length (implicit).
  bool looks_explicit(uint64_t pos);
  [[noreturn]] void truncated_header(uint64_t pos, int needed, uint32_t tag = 0);
  [[noreturn]] void no_vr(uint32_t tag, uint64_t pos, uint8_t b0, uint8_t b1);

  ByteSource& src_;
  const uint64_t size_;
};

}  // namespace framecodec
