// The few DICOM tags the encapsulation and data set code needs, and how messages print them.
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>

namespace framecodec {

// PS3.5 7.5: item and delimitation tags of sequences (group FFFE, no VR even in explicit VR).
constexpr uint32_t kItemTag = 0xFFFEE000;
constexpr uint32_t kItemDelimitationTag = 0xFFFEE00D;
constexpr uint32_t kSequenceDelimitationTag = 0xFFFEE0DD;
// PS3.5 7.1.1: a value length of FFFFFFFFH is "undefined length".
constexpr uint32_t kUndefinedLength = 0xFFFFFFFF;

constexpr uint32_t kTransferSyntaxUidTag = 0x00020010;
constexpr uint32_t kNumberOfFramesTag = 0x00280008;
constexpr uint32_t kExtendedOffsetTableTag = 0x7FE00001;
constexpr uint32_t kExtendedOffsetTableLengthsTag = 0x7FE00002;
constexpr uint32_t kPixelDataTag = 0x7FE00010;

// "(7FE0,0010)"
inline std::string format_tag(uint32_t tag) {
  char s[16];
  std::snprintf(s, sizeof s, "(%04X,%04X)", static_cast<unsigned>(tag >> 16), static_cast<unsigned>(tag & 0xFFFF));
  return s;
}

}  // namespace framecodec
