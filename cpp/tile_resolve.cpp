#include "tile_resolve.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "dataset_walk.h"
#include "tags.h"

namespace framecodec::tile_detail {

namespace {

constexpr uint64_t kMaxSL = static_cast<uint64_t>(std::numeric_limits<int32_t>::max());

// Without explicit positions the arrays are Number of Frames long. A frame takes at least one bit of Pixel
// Data, so a larger count than 8 frames per byte after the Pixel Data header is a forged or corrupt one that
// must not allocate gigabytes; up to this many are accepted whatever follows (the source may hold only the
// header).
constexpr uint64_t kFramesWithoutPixelData = uint64_t{1} << 20;

}  // namespace

void TileFacts::resolve() {
  const uint64_t n = number_of_frames_ > 0 ? static_cast<uint64_t>(number_of_frames_) : 1;
  out_.number_of_frames = n;
  const bool tiled_full = out_.dimension_organization_type == "TILED_FULL";
  if (has_per_frame_ && pf_has_position_.size() != n)
    data_set_error("the Per-Frame Functional Groups Sequence (5200,9230) has " +
                   std::to_string(pf_has_position_.size()) + " items but " +
                   (number_of_frames_ > 0 ? "Number of Frames (0028,0008) is " + std::to_string(n)
                                          : std::string("there is no Number of Frames (0028,0008): one frame")));
  const bool any_per_frame =
      std::find(pf_has_position_.begin(), pf_has_position_.end(), true) != pf_has_position_.end();
  if (!any_per_frame && n > kFramesWithoutPixelData && n / 8 > after_pixel_data_header_)
    data_set_error("Number of Frames (0028,0008) is " + std::to_string(n) + ", more than the " +
                   std::to_string(after_pixel_data_header_) + " bytes after the Pixel Data header can hold");

  std::vector<int32_t> implied_planes, implied_paths;
  if (any_per_frame) {
    out_.source = PositionSource::per_frame;
    for (size_t i = 0; i < n; ++i) {
      if (pf_has_position_[i]) continue;
      if (!shared_.has_position) no_position(i);
      pf_columns_[i] = shared_.column;
      pf_rows_[i] = shared_.row;
      pf_z_[i] = shared_.z;
    }
    out_.column_positions = std::move(pf_columns_);
    out_.row_positions = std::move(pf_rows_);
    out_.z_offsets = std::move(pf_z_);
  } else if (tiled_full) {
    out_.source = PositionSource::tiled_full;
    place_tiled_full(n, &implied_planes, &implied_paths);
  } else if (shared_.has_position) {
    out_.source = PositionSource::shared;
    out_.column_positions.assign(n, shared_.column);
    out_.row_positions.assign(n, shared_.row);
    out_.z_offsets.assign(n, shared_.z);
  } else {
    no_position(0);
  }

  if (out_.source == PositionSource::tiled_full)
    out_.focal_planes = std::move(implied_planes);
  else
    rank_focal_planes();
  resolve_optical_paths(n, std::move(implied_paths));
}

[[noreturn]] void TileFacts::no_position(size_t frame) {
  data_set_error("frame " + std::to_string(frame) + " has no Plane Position (Slide) Sequence (0048,021A): " +
                 (has_per_frame_ ? "not in its Per-Frame Functional Groups item"
                                 : "there is no Per-Frame Functional Groups Sequence (5200,9230)") +
                 ", the Shared Functional Groups Sequence (5200,9229) has none, and Dimension Organization Type "
                 "(0020,9311) is not TILED_FULL");
}

// PS3.3 C.7.6.17.3: TILED_FULL frames fill the Total Pixel Matrix in order, along each row of tiles left to
// right, then the rows top to bottom, then the focal planes from the glass slide towards the coverslip,
// then the optical paths in the order of the Optical Path Sequence, continuing across the instances of a
// concatenation from Concatenation Frame Offset Number (0020,9228).
void TileFacts::place_tiled_full(uint64_t n, std::vector<int32_t>* planes_out, std::vector<int32_t>* paths_out) {
  struct Needed {
    int64_t value;
    uint32_t tag;
  };
  for (Needed a : {Needed{out_.rows, kRowsTag}, Needed{out_.columns, kColumnsTag},
                   Needed{out_.total_pixel_matrix_columns, kTotalPixelMatrixColumnsTag},
                   Needed{out_.total_pixel_matrix_rows, kTotalPixelMatrixRowsTag}})
    if (a.value <= 0)
      data_set_error(
          "Dimension Organization Type is TILED_FULL without explicit positions, which places its frames "
          "by " +
          tag_name(a.tag) + ", but it is " + (a.value < 0 ? "absent" : "0"));
  const int64_t planes = out_.total_pixel_matrix_focal_planes < 0 ? 1 : out_.total_pixel_matrix_focal_planes;
  int64_t paths = out_.number_of_optical_paths;
  if (paths < 0) paths = std::max<int64_t>(1, static_cast<int64_t>(out_.optical_path_identifiers.size()));
  if (planes == 0 || paths == 0)
    data_set_error(tag_name(planes == 0 ? kTotalPixelMatrixFocalPlanesTag : kNumberOfOpticalPathsTag) +
                   " is 0 in a TILED_FULL image");
  const uint64_t tile_columns = static_cast<uint64_t>(out_.columns), tile_rows = static_cast<uint64_t>(out_.rows);
  const uint64_t across = (static_cast<uint64_t>(out_.total_pixel_matrix_columns) - 1) / tile_columns + 1;
  const uint64_t down = (static_cast<uint64_t>(out_.total_pixel_matrix_rows) - 1) / tile_rows + 1;
  out_.column_positions.resize(n);
  out_.row_positions.resize(n);
  planes_out->resize(n);
  paths_out->resize(n);
  const double z = planes == 1 && shared_.has_position ? shared_.z : kNaN;  // several planes: not stated
  out_.z_offsets.assign(n, z);
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t k = static_cast<uint64_t>(out_.concatenation_frame_offset) + i;
    const uint64_t column = k % across;
    k /= across;
    const uint64_t row = k % down;
    k /= down;
    const uint64_t plane = k % static_cast<uint64_t>(planes);
    const uint64_t path = k / static_cast<uint64_t>(planes);
    if (path >= static_cast<uint64_t>(paths))
      data_set_error("frame " + std::to_string(i) + " is past the last tile of the TILED_FULL grid: " +
                     std::to_string(across) + " x " + std::to_string(down) + " tiles, " + std::to_string(planes) +
                     " focal plane(s) and " + std::to_string(paths) + " optical path(s)" +
                     (out_.concatenation_frame_offset
                          ? " from Concatenation Frame Offset Number " + std::to_string(out_.concatenation_frame_offset)
                          : std::string()));
    const uint64_t x = 1 + column * tile_columns;
    const uint64_t y = 1 + row * tile_rows;
    if (x > kMaxSL || y > kMaxSL)
      data_set_error("frame " + std::to_string(i) + " of the TILED_FULL grid starts past the largest SL position");
    out_.column_positions[i] = static_cast<int32_t>(x);
    out_.row_positions[i] = static_cast<int32_t>(y);
    (*planes_out)[i] = static_cast<int32_t>(plane);
    (*paths_out)[i] = static_cast<int32_t>(path);
  }
}

// Focal planes numbered by Z offset, increasing (from the glass slide towards the coverslip).
void TileFacts::rank_focal_planes() {
  const std::vector<double>& z = out_.z_offsets;
  // A slide has a few focal planes: keep them sorted as they are found; sort all only if there are many.
  constexpr size_t kFew = 4096;
  std::vector<double> distinct;
  for (double v : z) {
    if (std::isnan(v)) continue;
    auto it = std::lower_bound(distinct.begin(), distinct.end(), v);
    if (it != distinct.end() && *it == v) continue;
    if (distinct.size() == kFew) {
      distinct.clear();
      for (double w : z)
        if (!std::isnan(w)) distinct.push_back(w);
      std::sort(distinct.begin(), distinct.end());
      distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
      break;
    }
    distinct.insert(it, v);
  }
  out_.focal_planes.resize(z.size());
  for (size_t i = 0; i < z.size(); ++i) {
    if (std::isnan(z[i])) {
      out_.focal_planes[i] = distinct.empty() ? 0 : -1;
    } else {
      out_.focal_planes[i] =
          static_cast<int32_t>(std::lower_bound(distinct.begin(), distinct.end(), z[i]) - distinct.begin());
    }
  }
}

void TileFacts::resolve_optical_paths(uint64_t n, std::vector<int32_t>&& implied) {
  const auto has_path = [](int32_t p) { return p >= 0; };
  const bool any_per_frame = std::any_of(pf_paths_.begin(), pf_paths_.end(), has_path);
  const bool all_per_frame = has_per_frame_ && std::all_of(pf_paths_.begin(), pf_paths_.end(), has_path);
  if (all_per_frame) {  // numbered in frame order as they were read
    out_.optical_paths = std::move(pf_paths_);
    out_.optical_path_identifiers = std::move(pf_identifiers_.list());
  } else if (any_per_frame || shared_.has_path) {
    // Frames without their own identification take the shared one; renumber in frame order.
    Interner final_ids;
    out_.optical_paths.resize(n);
    const std::vector<std::string>& own = pf_identifiers_.list();
    for (uint64_t i = 0; i < n; ++i) {
      const int32_t p = i < pf_paths_.size() ? pf_paths_[i] : -1;
      if (p >= 0)
        out_.optical_paths[i] = final_ids.index(own[static_cast<size_t>(p)]);
      else
        out_.optical_paths[i] = shared_.has_path ? final_ids.index(shared_.path) : -1;
    }
    out_.optical_path_identifiers = std::move(final_ids.list());
  } else if (out_.source == PositionSource::tiled_full) {
    // Into the Optical Path Sequence as read (without one, into nothing: documented); never past its end.
    const size_t listed = out_.optical_path_identifiers.size();
    const auto past = std::find_if(implied.begin(), implied.end(),
                                   [&](int32_t p) { return listed && static_cast<size_t>(p) >= listed; });
    if (past != implied.end())
      data_set_error("frame " + std::to_string(past - implied.begin()) +
                     " of the TILED_FULL order is on optical path " + std::to_string(*past) + ", but the " +
                     tag_name(kOpticalPathSequenceTag) + " has " + std::to_string(listed) + " item(s)");
    out_.optical_paths = std::move(implied);
  } else {
    out_.optical_paths.assign(n, -1);
    out_.optical_path_identifiers.clear();
  }
}

}  // namespace framecodec::tile_detail
