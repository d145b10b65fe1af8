// Finding the Pixel Data element of a DICOM file or data set without reading the pixels: parses the
// preamble and file meta (PS3.10 7.1) and walks the top-level data set (implicit or explicit VR little
// endian, PS3.5 7.1), skipping every value it does not need, sequences of undefined length included.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "byte_source.h"

namespace framecodec {

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
  std::vector<uint64_t> extended_offsets;  // (7FE0,0001) when present (and read: read_extended)
  std::vector<uint64_t> extended_lengths;  // (7FE0,0002) when present (and read: read_extended)
  // Where those values lie in the source and how many entries each has, read or not: a file's table can be read
  // where it lies in the mapped file (build_frame_table with lazy) instead of copied.
  uint64_t extended_offsets_at = 0, extended_lengths_at = 0;
  uint64_t extended_offsets_count = 0, extended_lengths_count = 0;
};

// Finds the top-level Pixel Data element. A 128-byte preamble with "DICM" and the file meta are optional;
// without a Transfer Syntax UID the encoding is recognised from the first element, and a data set that
// contradicts its declared VR encoding is read as it is encoded (as pydicom does). Stops at the Pixel Data
// element's header and never reads its value: the source may hold only the header.
// Throws EncapsulationError naming the byte offset when the data set is malformed or truncated before
// Pixel Data, has no Pixel Data, or uses a big endian or deflated transfer syntax.
// read_extended false: the Extended Offset Table's values are not copied (their place and count are noted).
PixelDataLocation locate_pixel_data(ByteSource& src, bool read_extended = true);

}  // namespace framecodec
