// Finding the Pixel Data element of a DICOM file or data set without reading the pixels: parses the
// preamble and file meta (PS3.10 7.1) and walks the top-level data set (implicit or explicit VR little
// endian, PS3.5 7.1), skipping every value it does not need, sequences of undefined length included.
#pragma once
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "span.h"

namespace framecodec {

// Random access to the bytes of a file or a buffer, viewed a little at a time.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  uint64_t size() const { return size_; }
  // A view of n bytes at pos (the caller keeps pos + n <= size()), valid until the next call.
  virtual const uint8_t* view(uint64_t pos, size_t n) = 0;

 protected:
  uint64_t size_ = 0;
};

class MemorySource final : public ByteSource {
 public:
  explicit MemorySource(ConstBytes b) : data_(b.data) { size_ = b.size; }
  const uint8_t* view(uint64_t pos, size_t) override { return data_ + pos; }

 private:
  const uint8_t* data_;
};

// Reads a file in blocks of 64 KiB (more only for a longer value it must read, such as an Extended
// Offset Table) at the positions the parser asks for, so it reads the header and skips the rest.
// Throws std::system_error (with errno) when the file cannot be opened or read.
class FileSource final : public ByteSource {
 public:
  explicit FileSource(const std::string& path);
  const uint8_t* view(uint64_t pos, size_t n) override;
  uint64_t bytes_read() const { return bytes_read_; }

 private:
  std::ifstream file_;
  std::vector<uint8_t> window_;
  uint64_t window_pos_ = 0;
  size_t window_len_ = 0;
  uint64_t bytes_read_ = 0;
};

struct PixelDataLocation {
  uint64_t element_offset = 0;    // the (7FE0,0010) tag
  uint64_t offset = 0;            // the value: for encapsulated data, the Basic Offset Table's item tag
  uint64_t length = 0;            // the value length; kUndefinedLength (FFFFFFFFH) for encapsulated data
  bool encapsulated = false;      // undefined length: a sequence of fragment items (PS3.5 A.4)
  bool explicit_vr = true;        // how the data set is encoded
  std::string vr;                 // "OB" or "OW" in explicit VR, "" in implicit VR
  std::string transfer_syntax;    // (0002,0010) without padding; "" when the file has no meta information
  int64_t number_of_frames = -1;  // top-level (0028,0008); -1 when absent or not an integer
  bool has_extended_offsets = false, has_extended_lengths = false;
  std::vector<uint64_t> extended_offsets;  // (7FE0,0001) when present
  std::vector<uint64_t> extended_lengths;  // (7FE0,0002) when present
};

// Finds the top-level Pixel Data element. A 128-byte preamble with "DICM" and the file meta are optional;
// without a Transfer Syntax UID the encoding is recognised from the first element, and a data set that
// contradicts its declared VR encoding is read as it is encoded (as pydicom does). Stops at the Pixel Data
// element's header and never reads its value: the source may hold only the header.
// Throws EncapsulationError naming the byte offset when the data set is malformed or truncated before
// Pixel Data, has no Pixel Data, or uses a big endian or deflated transfer syntax.
PixelDataLocation locate_pixel_data(ByteSource& src);

}  // namespace framecodec
