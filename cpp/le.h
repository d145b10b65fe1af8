// Little-endian loads and stores that work on any host and at any alignment. DICOM's encapsulated
// Pixel Data, the file meta and the little endian transfer syntaxes store integers least significant
// byte first (PS3.5 7.3, A.4).
#pragma once
#include <cstdint>
#include <cstring>

namespace framecodec {

inline uint16_t load_le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }

inline uint32_t load_le32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) | (static_cast<uint32_t>(p[2]) << 16) |
         (static_cast<uint32_t>(p[3]) << 24);
}

inline uint64_t load_le64(const uint8_t* p) {
  return static_cast<uint64_t>(load_le32(p)) | (static_cast<uint64_t>(load_le32(p + 4)) << 32);
}

inline void store_le32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
  p[2] = static_cast<uint8_t>(v >> 16);
  p[3] = static_cast<uint8_t>(v >> 24);
}

inline void store_le64(uint8_t* p, uint64_t v) {
  store_le32(p, static_cast<uint32_t>(v));
  store_le32(p + 4, static_cast<uint32_t>(v >> 32));
}

// A data element tag as one number, group in the high half: (7FE0,0010) is 0x7FE00010.
inline uint32_t load_tag_le(const uint8_t* p) { return (static_cast<uint32_t>(load_le16(p)) << 16) | load_le16(p + 2); }

}  // namespace framecodec
