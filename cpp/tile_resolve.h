// From what the walk of a tiled image's data set read (tile_positions.cpp) to one position per frame: each
// frame's own Plane Position (Slide), else the shared one, else the implicit TILED_FULL order (PS3.3
// C.7.6.17.3); focal planes ranked by Z offset, optical paths numbered in frame order. Internal to
// read_tile_positions.
#pragma once
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tile_positions.h"

namespace framecodec::tile_detail {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// What one Functional Groups item (PS3.3 C.7.6.16) says about its frame's place.
struct Groups {
  bool has_position = false;
  int32_t column = 0, row = 0;
  double z = kNaN;
  bool has_path = false;
  std::string path;  // Optical Path Identifier without padding; its buffer is reused item after item

  void clear() {
    has_position = has_path = false;
    column = row = 0;
    z = kNaN;
    path.clear();
  }
};

// Distinct strings numbered in order of first appearance.
class Interner {
 public:
  int32_t index(std::string_view s) {
    if (last_ >= 0 && list_[static_cast<size_t>(last_)] == s) return last_;  // runs of frames share a path
    auto it = map_.find(std::string(s));
    if (it != map_.end()) return last_ = it->second;
    last_ = static_cast<int32_t>(list_.size());
    list_.emplace_back(s);
    map_.emplace(list_.back(), last_);
    return last_;
  }
  std::vector<std::string>& list() { return list_; }

 private:
  std::vector<std::string> list_;
  std::unordered_map<std::string, int32_t> map_;
  int32_t last_ = -1;
};

// What the walk read (it fills these members), and how it becomes one position per frame (resolve()).
class TileFacts {
 protected:
  void resolve();
  [[noreturn]] void no_position(size_t frame);
  void place_tiled_full(uint64_t n, std::vector<int32_t>* planes_out, std::vector<int32_t>* paths_out);
  void rank_focal_planes();
  void resolve_optical_paths(uint64_t n, std::vector<int32_t>&& implied);

  TilePositions out_;
  int64_t number_of_frames_ = -1;
  uint64_t after_pixel_data_header_ = 0;
  Groups shared_;
  bool has_per_frame_ = false;
  std::vector<bool> pf_has_position_;
  std::vector<int32_t> pf_columns_, pf_rows_, pf_paths_;
  std::vector<double> pf_z_;
  Interner pf_identifiers_;
};

}  // namespace framecodec::tile_detail
