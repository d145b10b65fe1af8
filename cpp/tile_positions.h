// Where each frame of a tiled image (VL Whole Slide Microscopy, PS3.3 A.32.8; tiled Segmentations and
// Parametric Maps alike) sits, read in one walk of the top-level data set up to Pixel Data without building
// it: the Plane Position (Slide) and Optical Path Identification of every frame from its item of the
// Per-Frame Functional Groups Sequence, from the Shared Functional Groups Sequence, or, for TILED_FULL, from
// the implicit frame order of PS3.3 C.7.6.17.3. Only the elements it needs are parsed; every other value,
// and every nested sequence it does not know, is skipped.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "byte_source.h"

namespace framecodec {

enum class PositionSource {
  per_frame,   // Per-Frame Functional Groups items (frames without one take the shared position)
  shared,      // one Plane Position (Slide) in the Shared Functional Groups Sequence for every frame
  tiled_full,  // no explicit positions: Dimension Organization Type TILED_FULL, implicit order
};

struct TilePositions {
  uint64_t number_of_frames = 0;  // (0028,0008); 1 when absent
  // Attributes as stored; strings without padding ("" when absent), numbers -1 when absent or empty.
  std::string dimension_organization_type;       // (0020,9311)
  std::string specific_character_set;            // (0008,0005), to decode the identifiers
  int64_t rows = -1, columns = -1;               // (0028,0010), (0028,0011): the size of a tile
  int64_t total_pixel_matrix_columns = -1;       // (0048,0006)
  int64_t total_pixel_matrix_rows = -1;          // (0048,0007)
  int64_t total_pixel_matrix_focal_planes = -1;  // (0048,0303)
  int64_t number_of_optical_paths = -1;          // (0048,0302)
  int64_t concatenation_frame_offset = 0;        // (0020,9228); 0 when absent

  PositionSource source = PositionSource::per_frame;
  // Per frame, in frame order:
  std::vector<int32_t> column_positions;  // (0048,021E), 1-based, of the tile's top left pixel
  std::vector<int32_t> row_positions;     // (0048,021F)
  std::vector<double> z_offsets;          // (0040,074A) in mm; NaN when absent (and for TILED_FULL with
                                          // several focal planes, whose Z offsets the data set does not state)
  // The rank of the frame's Z offset among the distinct Z offsets, increasing (0 for every frame when none
  // has one, -1 for a frame without one when others have one); for TILED_FULL the implicit focal plane.
  std::vector<int32_t> focal_planes;
  // An index into optical_path_identifiers; -1 when the frame has no Optical Path Identification.
  std::vector<int32_t> optical_paths;
  // The distinct Optical Path Identifiers (0048,0106) in order of first appearance over the frames, without
  // padding and not decoded (see specific_character_set). For TILED_FULL without explicit identification,
  // the identifiers of the Optical Path Sequence (0048,0105) items, which the implicit order indexes.
  std::vector<std::string> optical_path_identifiers;
};

// Reads the positions from a DICOM file or data set (a preamble and file meta are optional; implicit or
// explicit VR little endian, as locate_pixel_data accepts them), walking up to the Pixel Data element and
// never reading its value. Sequences and items may have defined or undefined length.
// Throws EncapsulationError naming the frame (or byte offset) and the problem: a Per-Frame Functional Groups
// Sequence whose item count is not Number of Frames, a frame without a position when there is no shared one
// and the image is not TILED_FULL, a TILED_FULL image without the attributes that place its tiles, a
// malformed or truncated element, or no Pixel Data.
TilePositions read_tile_positions(ByteSource& src);
// The same for a whole file in memory (a memory-mapped file, a buffer).
TilePositions read_tile_positions(ConstBytes file);

}  // namespace framecodec
