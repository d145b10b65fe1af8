// Tiled images (whole-slide microscopy): every frame's position, read from a file or buffer in one walk.
#include <pybind11/stl.h>

#include <algorithm>
#include <iterator>
#include <string>

#include "bindings/common.h"
#include "tile_positions.h"

namespace framecodec::bindings {
namespace {

py::object optional_int(int64_t v) { return v < 0 ? py::object(py::none()) : py::object(py::int_(v)); }

const char* const kSourceNames[] = {"per_frame", "shared", "tiled_full"};  // PositionSource
static_assert(static_cast<size_t>(PositionSource::tiled_full) + 1 == std::size(kSourceNames),
              "one name per PositionSource, in its order");

// The bound TilePositions: the C++ walk's result, and its Optical Path Identifiers decoded.
struct BoundPositions {
  TilePositions t;
  py::tuple identifiers;
};

// Identifiers that are ASCII without ISO 2022 escapes are decoded here; others by `decode` (pydicom's decoding by
// the Specific Character Set, which the Python side passes in).
BoundPositions bind_positions(TilePositions&& t, const py::object& decode) {
  py::tuple ids(t.optical_path_identifiers.size());
  py::object charset = optional_str(t.specific_character_set);
  for (size_t i = 0; i < t.optical_path_identifiers.size(); ++i) {
    const std::string& s = t.optical_path_identifiers[i];
    const bool ascii =
        std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80 && c != 0x1B; });
    ids[i] = ascii ? py::object(py::str(s)) : decode(py::bytes(s), charset);
  }
  return {std::move(t), std::move(ids)};
}

BoundPositions py_tile_positions(const py::object& buffer, const py::object& decode) {
  Buffer in(buffer, "buffer");
  TilePositions t;
  {
    py::gil_scoped_release nogil;
    t = read_tile_positions(in.bytes());
  }
  return bind_positions(std::move(t), decode);
}

BoundPositions py_tile_positions_file(const py::object& path, const py::object& decode) {
  const std::string p = fs_path(path);
  TilePositions t;
  try {
    py::gil_scoped_release nogil;
    FileSource src(p);
    t = read_tile_positions(src);
  } catch (const FileError& e) {
    raise_file_error(e, path);
  }
  return bind_positions(std::move(t), decode);
}

py::tuple positions_state(const BoundPositions& b) {
  const TilePositions& t = b.t;
  return py::make_tuple(t.number_of_frames, t.dimension_organization_type, t.specific_character_set, t.rows, t.columns,
                        t.total_pixel_matrix_columns, t.total_pixel_matrix_rows, t.total_pixel_matrix_focal_planes,
                        t.number_of_optical_paths, t.concatenation_frame_offset, static_cast<int>(t.source),
                        t.column_positions, t.row_positions, t.z_offsets, t.focal_planes, t.optical_paths,
                        b.identifiers);
}

BoundPositions positions_from_state(const py::tuple& s) {
  if (s.size() != 17) throw py::value_error("a pickled TilePositions has 17 fields, got " + std::to_string(s.size()));
  TilePositions t;
  t.number_of_frames = s[0].cast<uint64_t>();
  t.dimension_organization_type = s[1].cast<std::string>();
  t.specific_character_set = s[2].cast<std::string>();
  t.rows = s[3].cast<int64_t>();
  t.columns = s[4].cast<int64_t>();
  t.total_pixel_matrix_columns = s[5].cast<int64_t>();
  t.total_pixel_matrix_rows = s[6].cast<int64_t>();
  t.total_pixel_matrix_focal_planes = s[7].cast<int64_t>();
  t.number_of_optical_paths = s[8].cast<int64_t>();
  t.concatenation_frame_offset = s[9].cast<int64_t>();
  t.source = static_cast<PositionSource>(s[10].cast<int>());
  t.column_positions = s[11].cast<std::vector<int32_t>>();
  t.row_positions = s[12].cast<std::vector<int32_t>>();
  t.z_offsets = s[13].cast<std::vector<double>>();
  t.focal_planes = s[14].cast<std::vector<int32_t>>();
  t.optical_paths = s[15].cast<std::vector<int32_t>>();
  return {std::move(t), s[16].cast<py::tuple>()};
}

template <class T>
auto column(std::vector<T> TilePositions::*member) {
  return [member](const py::object& self) { return view_array(self.cast<const BoundPositions&>().t.*member, self); };
}

template <class M>
auto field(M TilePositions::*member) {
  return [member](const BoundPositions& b) { return b.t.*member; };
}

auto optional_field(int64_t TilePositions::*member) {
  return [member](const BoundPositions& b) { return optional_int(b.t.*member); };
}

}  // namespace

void add_slide(py::module_& m) {
  py::class_<BoundPositions>(m, "TilePositions",
                             "Every frame's place in a tiled image, from tile_positions. The arrays are read-only "
                             "views, one entry per frame.")
      .def_property_readonly("number_of_frames", field(&TilePositions::number_of_frames),
                             "Number of Frames (0028,0008); 1 when absent. Every array has this length.")
      .def_property_readonly(
          "source", [](const BoundPositions& b) { return kSourceNames[static_cast<int>(b.t.source)]; },
          "Where the positions come from: \"per_frame\", \"shared\" or \"tiled_full\".")
      .def_property_readonly("column_positions", column(&TilePositions::column_positions),
                             "Column Position In Total Image Pixel Matrix (0048,021E), 1-based.")
      .def_property_readonly("row_positions", column(&TilePositions::row_positions),
                             "Row Position In Total Image Pixel Matrix (0048,021F), 1-based.")
      .def_property_readonly("z_offsets", column(&TilePositions::z_offsets),
                             "Z Offset in Slide Coordinate System (0040,074A) as stored, NaN where absent.")
      .def_property_readonly("focal_planes", column(&TilePositions::focal_planes),
                             "The rank of each frame's Z offset among the distinct ones; -1 for a frame without one "
                             "when others have one; for TILED_FULL, the implicit focal plane.")
      .def_property_readonly("optical_paths", column(&TilePositions::optical_paths),
                             "Each frame's index into optical_path_identifiers; -1 without Optical Path "
                             "Identification.")
      .def_property_readonly(
          "optical_path_identifiers", [](const BoundPositions& b) { return b.identifiers; },
          "The distinct Optical Path Identifiers (0048,0106) in order of first appearance; for "
          "TILED_FULL without explicit identification, those of the Optical Path Sequence.")
      .def_property_readonly(
          "dimension_organization_type",
          [](const BoundPositions& b) { return optional_str(b.t.dimension_organization_type); },
          "Dimension Organization Type (0020,9311), or None.")
      .def_property_readonly("total_pixel_matrix_columns", optional_field(&TilePositions::total_pixel_matrix_columns))
      .def_property_readonly("total_pixel_matrix_rows", optional_field(&TilePositions::total_pixel_matrix_rows))
      .def_property_readonly("total_pixel_matrix_focal_planes",
                             optional_field(&TilePositions::total_pixel_matrix_focal_planes))
      .def_property_readonly("number_of_optical_paths", optional_field(&TilePositions::number_of_optical_paths))
      .def_property_readonly("rows", optional_field(&TilePositions::rows), "Rows (0028,0010) of a tile, or None.")
      .def_property_readonly("columns", optional_field(&TilePositions::columns), "Columns (0028,0011), or None.")
      .def_property_readonly("concatenation_frame_offset", field(&TilePositions::concatenation_frame_offset),
                             "Concatenation Frame Offset Number (0020,9228), 0 when absent.")
      .def_property_readonly(
          "per_frame", [](const BoundPositions& b) { return b.t.source == PositionSource::per_frame; },
          "Whether the positions were found in the Per-Frame Functional Groups Sequence.")
      .def("__len__", [](const BoundPositions& b) { return b.t.number_of_frames; })
      .def("__repr__",
           [](const BoundPositions& b) {
             const TilePositions& t = b.t;
             return "TilePositions(" + std::to_string(t.number_of_frames) + " frames, source='" +
                    kSourceNames[static_cast<int>(t.source)] + "', " + std::to_string(b.identifiers.size()) +
                    " optical paths, dimension_organization_type=" +
                    (t.dimension_organization_type.empty() ? "None" : "'" + t.dimension_organization_type + "'") + ")";
           })
      .def(py::pickle(&positions_state, &positions_from_state));
  m.def("_tile_positions", &py_tile_positions, py::arg("buffer"), py::arg("decode"),
        "Every frame's position in a tiled image held in a buffer; decode(value, specific_character_set) decodes "
        "an Optical Path Identifier that is not ASCII.");
  m.def("_tile_positions_file", &py_tile_positions_file, py::arg("path"), py::arg("decode"),
        "Every frame's position in a tiled image file, reading only its header; decode as for _tile_positions.");
}

}  // namespace framecodec::bindings
