#include "tile_positions.h"

#include <algorithm>
#include <string_view>

#include "dataset_walk.h"
#include "errors.h"
#include "le.h"
#include "tags.h"
#include "tile_resolve.h"

namespace framecodec {

namespace {

using tile_detail::Groups;
using tile_detail::Interner;
using tile_detail::kNaN;

bool vr_is(const Element& e, const char* vr) { return e.vr[0] == vr[0] && e.vr[1] == vr[1]; }

// One walk of the top-level data set up to Pixel Data, reading what places the frames (see tile_positions.h).
class TileWalk : tile_detail::TileFacts {
 public:
  explicit TileWalk(ByteSource& src) : r_(src), size_(src.size()) {}

  TilePositions run() {
    DataSetStart start = r_.start();
    const bool explicit_vr = start.explicit_vr;
    uint64_t pos = start.pos;
    while (true) {
      if (pos == size_)
        data_set_error("no Pixel Data (7FE0,0010) in the top-level data set (it ends" + at_offset(pos) + ")");
      Element e = r_.header(pos, explicit_vr);
      if (e.tag == kPixelDataTag) {
        after_pixel_data_header_ = size_ - e.value;  // the value is never read
        break;
      }
      if (e.tag == kSequenceDelimitationTag || e.tag == kItemDelimitationTag) {
        pos = e.value;  // a stray delimiter at the top level: skipped, as locate_pixel_data does
        continue;
      }
      if (e.tag == kItemTag)
        data_set_error("unexpected item tag (FFFE,E000)" + at_offset(pos) + " in the top-level data set");
      if (e.length != kUndefinedLength) r_.check_value(e, pos);
      uint64_t next = 0;
      if (e.tag == kPerFrameFunctionalGroupsSequenceTag) {
        next = read_per_frame(e, pos, explicit_vr);
      } else if (e.tag == kSharedFunctionalGroupsSequenceTag) {
        next = read_shared(e, pos, explicit_vr);
      } else if (e.tag == kOpticalPathSequenceTag && out_.dimension_organization_type == "TILED_FULL") {
        next = read_optical_path_sequence(e, pos, explicit_vr);  // only TILED_FULL needs its order
      } else if (e.length != kUndefinedLength) {
        read_top_level_value(e, pos, explicit_vr);
      }
      if (next == 0)
        next = e.length == kUndefinedLength ? r_.skip_undefined(e, pos, explicit_vr, 1) : e.value + e.length;
      pos = next;
    }
    resolve();
    return std::move(out_);
  }

 private:
  // ---- walking items and sequences, bounded by their lengths

  // The elements of an item's data set from pos: up to end (defined length) or up to and past its item
  // delimiter, which must come before end (undefined length). on_element(e, pos) reads an element it wants
  // and returns the position after it, or returns 0 to have it skipped. Returns the position after the item.
  template <class F>
  uint64_t walk_item(uint64_t pos, uint64_t end, bool undefined, bool explicit_vr, int depth, F&& on_element) {
    while (true) {
      if (!undefined && pos == end) return pos;
      if (end - pos < 8)
        data_set_error(undefined ? "truncated data set: an item of undefined length is not closed by an item "
                                   "delimiter before the end of the data" +
                                       at_offset(pos)
                                 : "an element header" + at_offset(pos) + " runs past the end of its item at offset " +
                                       std::to_string(end));
      Element e = r_.header(pos, explicit_vr);
      if (e.tag == kItemDelimitationTag) {
        if (!undefined) data_set_error("an item delimiter" + at_offset(pos) + " inside an item of defined length");
        return e.value;
      }
      if (e.tag == kItemTag || e.tag == kSequenceDelimitationTag)
        data_set_error("unexpected tag " + format_tag(e.tag) + at_offset(pos) + " inside an item");
      if (e.value > end || (e.length != kUndefinedLength && e.length > end - e.value)) overrun(e, pos, end);
      uint64_t next = on_element(e, pos);
      if (next == 0)
        next = e.length == kUndefinedLength ? r_.skip_undefined(e, pos, explicit_vr, depth + 1) : e.value + e.length;
      if (next > end)
        data_set_error("element " + format_tag(e.tag) + at_offset(pos) + " runs past the end of its item at offset " +
                       std::to_string(end));
      pos = next;
    }
  }

  // The items of sequence e (its value checked to end before limit when it has a defined length).
  // on_item(value, end, undefined) reads one item's data set and returns the position after it. Returns the
  // position after the sequence.
  template <class F>
  uint64_t walk_sequence(const Element& e, uint64_t limit, F&& on_item) {
    const bool undefined = e.length == kUndefinedLength;
    const uint64_t end = undefined ? limit : e.value + e.length;
    uint64_t pos = e.value;
    while (true) {
      if (!undefined && pos == end) return pos;
      if (end - pos < 8)
        data_set_error(undefined ? "truncated data set: a sequence of undefined length is not closed by a sequence "
                                   "delimiter before the end of the data" +
                                       at_offset(pos)
                                 : "an item header" + at_offset(pos) + " runs past the end of its sequence at offset " +
                                       std::to_string(end));
      const uint8_t* p = r_.view(pos, 8);
      const uint32_t tag = load_tag_le(p), len = load_le32(p + 4);
      if (tag == kSequenceDelimitationTag) {
        if (!undefined)
          data_set_error("a sequence delimiter" + at_offset(pos) + " inside a sequence of defined length");
        return pos + 8;
      }
      if (tag != kItemTag)
        data_set_error("unexpected tag " + format_tag(tag) + at_offset(pos) +
                       " in a sequence: expected an item "
                       "(FFFE,E000) or the sequence delimiter (FFFE,E0DD)");
      if (len == kUndefinedLength) {
        pos = on_item(pos + 8, end, true);
      } else {
        if (len > end - pos - 8)
          data_set_error((end == size_ ? "truncated data set: the item" : "the item") + at_offset(pos) +
                         " has length " + std::to_string(len) + " but only " + std::to_string(end - pos - 8) +
                         " bytes of its " + (end == size_ ? "data" : "sequence") + " follow its header");
        pos = on_item(pos + 8, pos + 8 + uint64_t{len}, false);
      }
    }
  }

  [[noreturn]] void overrun(const Element& e, uint64_t pos, uint64_t end) {
    const uint64_t avail = e.value > end ? 0 : end - e.value;
    if (end == size_)
      data_set_error("truncated data set: element " + format_tag(e.tag) + at_offset(pos) + " has length " +
                     std::to_string(e.length) + " but only " + std::to_string(avail) + " bytes follow its header");
    data_set_error("element " + format_tag(e.tag) + at_offset(pos) + " has length " + std::to_string(e.length) +
                   " but only " + std::to_string(avail) + " bytes of its item follow its header");
  }

  // Whether the items of a sequence we read are explicit VR: an explicit VR UN element holds a sequence
  // encoded in implicit VR little endian (PS3.5 6.2.2).
  static bool items_explicit(const Element& e, uint64_t pos, bool explicit_vr) {
    if (!explicit_vr) return false;
    if (vr_is(e, "SQ")) return true;
    if (vr_is(e, "UN")) return false;
    data_set_error(tag_name(e.tag) + at_offset(pos) + " has VR " + e.vr + ", not SQ");
  }

  // ---- values

  void expect_vr(const Element& e, uint64_t pos, bool explicit_vr, const char* vr) {
    if (e.length == kUndefinedLength) data_set_error(tag_name(e.tag) + at_offset(pos) + " has undefined length");
    if (explicit_vr && !vr_is(e, vr) && !vr_is(e, "UN"))
      data_set_error(tag_name(e.tag) + at_offset(pos) + " has VR " + e.vr + ", expected " + vr);
  }

  // US or UL (PS3.5 Table 6.2-1: unsigned little endian): -1 for an empty value.
  int64_t read_unsigned(const Element& e, uint64_t pos, bool explicit_vr, uint32_t width) {
    expect_vr(e, pos, explicit_vr, width == 2 ? "US" : "UL");
    if (e.length == 0) return -1;
    if (e.length != width)
      data_set_error(tag_name(e.tag) + at_offset(pos) + " has length " + std::to_string(e.length) + ", not " +
                     std::to_string(width) + " (one " + (width == 2 ? "US" : "UL") + " value)");
    const uint8_t* p = r_.view(e.value, width);
    return width == 2 ? load_le16(p) : load_le32(p);
  }

  // SL: a signed 32-bit little endian integer.
  int32_t read_sl(const Element& e, uint64_t pos, bool explicit_vr) {
    expect_vr(e, pos, explicit_vr, "SL");
    if (e.length != 4)
      data_set_error(tag_name(e.tag) + at_offset(pos) + " has length " + std::to_string(e.length) +
                     ", not 4 (one SL value)");
    return static_cast<int32_t>(load_le32(r_.view(e.value, 4)));
  }

  double read_ds(const Element& e, uint64_t pos, bool explicit_vr) {
    expect_vr(e, pos, explicit_vr, "DS");
    double v = kNaN;
    // PS3.5 Table 6.2-1: at most 16 bytes; longer values are accepted up to a bound, as readers do.
    if (e.length > 64 || !parse_ds(r_.view(e.value, e.length), e.length, &v))
      data_set_error(tag_name(e.tag) + at_offset(pos) + " is not one decimal number (DS)");
    return v;
  }

  // CS or SH: at most 16 characters (PS3.5 Table 6.2-1); longer ones are accepted up to a bound, which keeps a
  // forged length from making a file source read a huge value.
  std::string_view read_string(const Element& e, uint64_t pos, bool explicit_vr, const char* vr) {
    expect_vr(e, pos, explicit_vr, vr);
    if (e.length > 1024)
      data_set_error(tag_name(e.tag) + at_offset(pos) + " is " + std::to_string(e.length) + " bytes long, not a " + vr +
                     " value of at most 16 characters");
    return strip_view(r_.view(e.value, e.length), e.length);  // valid until the next read
  }

  void read_top_level_value(const Element& e, uint64_t pos, bool explicit_vr) {
    switch (e.tag) {
      case kNumberOfFramesTag: {
        expect_vr(e, pos, explicit_vr, "IS");
        if (e.length == 0) return;  // empty: as if absent
        const int64_t n = e.length <= 64 ? parse_is(r_.view(e.value, e.length), e.length) : -1;
        if (n < 1) data_set_error(tag_name(e.tag) + at_offset(pos) + " is not a positive integer");
        number_of_frames_ = n;
        return;
      }
      case kRowsTag: out_.rows = read_unsigned(e, pos, explicit_vr, 2); return;
      case kColumnsTag: out_.columns = read_unsigned(e, pos, explicit_vr, 2); return;
      case kTotalPixelMatrixColumnsTag: out_.total_pixel_matrix_columns = read_unsigned(e, pos, explicit_vr, 4); return;
      case kTotalPixelMatrixRowsTag: out_.total_pixel_matrix_rows = read_unsigned(e, pos, explicit_vr, 4); return;
      case kTotalPixelMatrixFocalPlanesTag:
        out_.total_pixel_matrix_focal_planes = read_unsigned(e, pos, explicit_vr, 4);
        return;
      case kNumberOfOpticalPathsTag: out_.number_of_optical_paths = read_unsigned(e, pos, explicit_vr, 4); return;
      case kConcatenationFrameOffsetNumberTag:
        out_.concatenation_frame_offset = std::max<int64_t>(0, read_unsigned(e, pos, explicit_vr, 4));
        return;
      case kDimensionOrganizationTypeTag:
        out_.dimension_organization_type = std::string(read_string(e, pos, explicit_vr, "CS"));
        return;
      case kSpecificCharacterSetTag:
        out_.specific_character_set = std::string(read_string(e, pos, explicit_vr, "CS"));
        return;
    }
  }

  // ---- functional groups

  // One Functional Groups item: its Plane Position (Slide) and Optical Path Identification, each a sequence
  // of one item (PS3.3 C.8.12.6.1, C.8.12.6.2).
  uint64_t read_groups(uint64_t pos, uint64_t end, bool undefined, bool explicit_vr, Groups* g) {
    return walk_item(pos, end, undefined, explicit_vr, 1, [&](const Element& e, uint64_t at) -> uint64_t {
      if (e.tag == kPlanePositionSlideSequenceTag)
        return read_single_item(e, at, end, explicit_vr, g, &TileWalk::read_plane_position);
      if (e.tag == kOpticalPathIdentificationSequenceTag)
        return read_single_item(e, at, end, explicit_vr, g, &TileWalk::read_optical_path_identification);
      return 0;
    });
  }

  using ItemReader = uint64_t (TileWalk::*)(uint64_t pos, uint64_t end, bool undefined, bool explicit_vr, Groups* g);

  // A sequence that holds one item; an empty one says nothing.
  uint64_t read_single_item(const Element& e, uint64_t pos, uint64_t limit, bool explicit_vr, Groups* g,
                            ItemReader read) {
    const bool items_ex = items_explicit(e, pos, explicit_vr);
    int items = 0;
    return walk_sequence(e, limit, [&](uint64_t value, uint64_t end, bool undefined) {
      if (++items > 1)
        data_set_error(tag_name(e.tag) + at_offset(pos) + " has more than one item; the standard allows one");
      return (this->*read)(value, end, undefined, items_ex, g);
    });
  }

  uint64_t read_plane_position(uint64_t pos, uint64_t end, bool undefined, bool explicit_vr, Groups* g) {
    bool has_column = false, has_row = false;
    uint64_t after = walk_item(pos, end, undefined, explicit_vr, 2, [&](const Element& e, uint64_t at) -> uint64_t {
      if (e.tag == kColumnPositionInTotalImagePixelMatrixTag) {
        g->column = read_sl(e, at, explicit_vr);
        has_column = true;
      } else if (e.tag == kRowPositionInTotalImagePixelMatrixTag) {
        g->row = read_sl(e, at, explicit_vr);
        has_row = true;
      } else if (e.tag == kZOffsetInSlideCoordinateSystemTag) {
        g->z = read_ds(e, at, explicit_vr);
      } else {
        return 0;
      }
      return e.value + e.length;
    });
    if (!has_column || !has_row)
      data_set_error(
          "the Plane Position (Slide) Sequence (0048,021A) item" + at_offset(pos - 8) + " has no " +
          tag_name(has_column ? kRowPositionInTotalImagePixelMatrixTag : kColumnPositionInTotalImagePixelMatrixTag));
    g->has_position = true;
    return after;
  }

  uint64_t read_optical_path_identification(uint64_t pos, uint64_t end, bool undefined, bool explicit_vr, Groups* g) {
    uint64_t after = walk_item(pos, end, undefined, explicit_vr, 2, [&](const Element& e, uint64_t at) -> uint64_t {
      if (e.tag != kOpticalPathIdentifierTag) return 0;
      g->path.assign(read_string(e, at, explicit_vr, "SH"));
      g->has_path = true;
      return e.value + e.length;
    });
    if (!g->has_path)
      data_set_error("the Optical Path Identification Sequence (0048,0207) item" + at_offset(pos - 8) + " has no " +
                     tag_name(kOpticalPathIdentifierTag));
    return after;
  }

  uint64_t read_per_frame(const Element& e, uint64_t pos, bool explicit_vr) {
    const bool items_ex = items_explicit(e, pos, explicit_vr);
    has_per_frame_ = true;
    if (number_of_frames_ > 0) {  // each item takes at least its 8-byte header
      const uint64_t frames = static_cast<uint64_t>(number_of_frames_);
      const size_t n = static_cast<size_t>(std::min<uint64_t>(frames, (size_ - pos) / 8));
      pf_has_position_.reserve(n);
      pf_columns_.reserve(n);
      pf_rows_.reserve(n);
      pf_z_.reserve(n);
      pf_paths_.reserve(n);
    }
    Groups g;
    try {
      return walk_sequence(e, size_, [&](uint64_t value, uint64_t end, bool undefined) {
        g.clear();
        uint64_t after = read_groups(value, end, undefined, items_ex, &g);
        pf_has_position_.push_back(g.has_position);
        pf_columns_.push_back(g.column);
        pf_rows_.push_back(g.row);
        pf_z_.push_back(g.z);
        pf_paths_.push_back(g.has_path ? pf_identifiers_.index(g.path) : -1);
        return after;
      });
    } catch (const EncapsulationError& err) {
      data_set_error("frame " + std::to_string(pf_has_position_.size()) + " (its item of the " + tag_name(e.tag) +
                     "): " + err.what());
    }
  }

  uint64_t read_shared(const Element& e, uint64_t pos, bool explicit_vr) {
    const bool items_ex = items_explicit(e, pos, explicit_vr);
    int items = 0;
    try {
      return walk_sequence(e, size_, [&](uint64_t value, uint64_t end, bool undefined) {
        // PS3.3 C.7.6.16: the Shared Functional Groups Sequence holds exactly one item.
        if (++items > 1) data_set_error("it has more than one item; the standard allows one");
        shared_.clear();
        return read_groups(value, end, undefined, items_ex, &shared_);
      });
    } catch (const EncapsulationError& err) {
      data_set_error(tag_name(e.tag) + at_offset(pos) + ": " + err.what());
    }
  }

  // The identifiers of the Optical Path Sequence's items, whose order the TILED_FULL frame order follows.
  uint64_t read_optical_path_sequence(const Element& e, uint64_t pos, bool explicit_vr) {
    const bool items_ex = items_explicit(e, pos, explicit_vr);
    return walk_sequence(e, size_, [&](uint64_t value, uint64_t end, bool undefined) {
      bool found = false;
      uint64_t after = walk_item(value, end, undefined, items_ex, 1, [&](const Element& el, uint64_t at) -> uint64_t {
        if (el.tag != kOpticalPathIdentifierTag) return 0;
        out_.optical_path_identifiers.emplace_back(read_string(el, at, items_ex, "SH"));
        found = true;
        return el.value + el.length;
      });
      if (!found)
        data_set_error("item " + std::to_string(out_.optical_path_identifiers.size()) + " of the " + tag_name(e.tag) +
                       at_offset(pos) + " has no " + tag_name(kOpticalPathIdentifierTag));
      return after;
    });
  }

  DataSetReader r_;
  const uint64_t size_;
};

}  // namespace

TilePositions read_tile_positions(ByteSource& src) { return TileWalk(src).run(); }

TilePositions read_tile_positions(ConstBytes file) {
  MemorySource src(file);
  return TileWalk(src).run();
}

}  // namespace framecodec
