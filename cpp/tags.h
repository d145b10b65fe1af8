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

// Tiled images (VL Whole Slide Microscopy, PS3.3 A.32.8) and their functional groups (C.7.6.16).
constexpr uint32_t kSpecificCharacterSetTag = 0x00080005;
constexpr uint32_t kConcatenationFrameOffsetNumberTag = 0x00209228;
constexpr uint32_t kDimensionOrganizationTypeTag = 0x00209311;
constexpr uint32_t kRowsTag = 0x00280010;
constexpr uint32_t kColumnsTag = 0x00280011;
constexpr uint32_t kZOffsetInSlideCoordinateSystemTag = 0x0040074A;
constexpr uint32_t kTotalPixelMatrixColumnsTag = 0x00480006;
constexpr uint32_t kTotalPixelMatrixRowsTag = 0x00480007;
constexpr uint32_t kOpticalPathSequenceTag = 0x00480105;
constexpr uint32_t kOpticalPathIdentifierTag = 0x00480106;
constexpr uint32_t kOpticalPathIdentificationSequenceTag = 0x00480207;
constexpr uint32_t kPlanePositionSlideSequenceTag = 0x0048021A;
constexpr uint32_t kColumnPositionInTotalImagePixelMatrixTag = 0x0048021E;
constexpr uint32_t kRowPositionInTotalImagePixelMatrixTag = 0x0048021F;
constexpr uint32_t kNumberOfOpticalPathsTag = 0x00480302;
constexpr uint32_t kTotalPixelMatrixFocalPlanesTag = 0x00480303;
constexpr uint32_t kSharedFunctionalGroupsSequenceTag = 0x52009229;
constexpr uint32_t kPerFrameFunctionalGroupsSequenceTag = 0x52009230;

// "(7FE0,0010)"
inline std::string format_tag(uint32_t tag) {
  char s[16];
  std::snprintf(s, sizeof s, "(%04X,%04X)", static_cast<unsigned>(tag >> 16), static_cast<unsigned>(tag & 0xFFFF));
  return s;
}

// "Rows (0028,0010)": a tag the header walks report, named for messages.
inline std::string tag_name(uint32_t tag) {
  const char* name = "";
  switch (tag) {
    case kNumberOfFramesTag: name = "Number of Frames "; break;
    case kRowsTag: name = "Rows "; break;
    case kColumnsTag: name = "Columns "; break;
    case kConcatenationFrameOffsetNumberTag: name = "Concatenation Frame Offset Number "; break;
    case kDimensionOrganizationTypeTag: name = "Dimension Organization Type "; break;
    case kTotalPixelMatrixColumnsTag: name = "Total Pixel Matrix Columns "; break;
    case kTotalPixelMatrixRowsTag: name = "Total Pixel Matrix Rows "; break;
    case kTotalPixelMatrixFocalPlanesTag: name = "Total Pixel Matrix Focal Planes "; break;
    case kNumberOfOpticalPathsTag: name = "Number of Optical Paths "; break;
    case kColumnPositionInTotalImagePixelMatrixTag: name = "Column Position In Total Image Pixel Matrix "; break;
    case kRowPositionInTotalImagePixelMatrixTag: name = "Row Position In Total Image Pixel Matrix "; break;
    case kZOffsetInSlideCoordinateSystemTag: name = "Z Offset in Slide Coordinate System "; break;
    case kOpticalPathIdentifierTag: name = "Optical Path Identifier "; break;
    case kPlanePositionSlideSequenceTag: name = "Plane Position (Slide) Sequence "; break;
    case kOpticalPathIdentificationSequenceTag: name = "Optical Path Identification Sequence "; break;
    case kOpticalPathSequenceTag: name = "Optical Path Sequence "; break;
    case kSharedFunctionalGroupsSequenceTag: name = "Shared Functional Groups Sequence "; break;
    case kPerFrameFunctionalGroupsSequenceTag: name = "Per-Frame Functional Groups Sequence "; break;
    case kSpecificCharacterSetTag: name = "Specific Character Set "; break;
  }
  return name + format_tag(tag);
}

}  // namespace framecodec
