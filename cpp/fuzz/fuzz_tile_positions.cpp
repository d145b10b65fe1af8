// The TILED_SPARSE / TILED_FULL position walk on a whole data set, from memory and from a file: both forms
// must agree, and every array must have one entry per frame.
//
// Input: the file.
#include "byte_source.h"
#include "errors.h"
#include "fuzz_input.h"
#include "tile_positions.h"

using namespace framecodec;
using namespace framecodec::fuzz;

namespace {

struct Outcome {
  bool ok = false;
  std::string error;
  TilePositions t;
};

Outcome run(ByteSource& src) {
  Outcome o;
  try {
    o.t = read_tile_positions(src);
    o.ok = true;
  } catch (const EncapsulationError& e) {
    o.error = e.what();
  }
  return o;
}

bool same_doubles(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (!(a[i] == b[i] || (a[i] != a[i] && b[i] != b[i]))) return false;  // NaN equals NaN here
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static MemoryFile file;
  const ConstBytes buf{data, size};
  MemorySource mem(buf);
  const Outcome a = run(mem);
  FileSource disk(file.write(buf));
  const Outcome b = run(disk);

  FUZZ_CHECK(a.ok == b.ok);
  FUZZ_CHECK(a.error == b.error);
  if (!a.ok) return 0;
  const TilePositions &x = a.t, &y = b.t;
  const size_t n = x.number_of_frames;
  FUZZ_CHECK(n >= 1);
  FUZZ_CHECK(x.column_positions.size() == n && x.row_positions.size() == n && x.z_offsets.size() == n);
  FUZZ_CHECK(x.focal_planes.size() == n && x.optical_paths.size() == n);
  // An index into the identifiers, or -1; TILED_FULL without an Optical Path Sequence indexes the paths of
  // the implicit order with no identifiers to name them (documented).
  const bool unnamed = x.source == PositionSource::tiled_full && x.optical_path_identifiers.empty();
  for (int32_t p : x.optical_paths)
    FUZZ_CHECK(p >= -1 && (p < 0 || unnamed || static_cast<size_t>(p) < x.optical_path_identifiers.size()));
  FUZZ_CHECK(x.number_of_frames == y.number_of_frames && x.source == y.source);
  FUZZ_CHECK(x.column_positions == y.column_positions && x.row_positions == y.row_positions);
  FUZZ_CHECK(same_doubles(x.z_offsets, y.z_offsets) && x.focal_planes == y.focal_planes);
  FUZZ_CHECK(x.optical_paths == y.optical_paths && x.optical_path_identifiers == y.optical_path_identifiers);
  FUZZ_CHECK(x.dimension_organization_type == y.dimension_organization_type);
  return 0;
}
