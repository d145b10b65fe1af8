// Tiled images (whole-slide microscopy): every frame's position, read from a file or buffer in one walk.
#include <string>

#include "bindings/common.h"
#include "tile_positions.h"

namespace framecodec::bindings {
namespace {

py::object optional_int(int64_t v) { return v < 0 ? py::object(py::none()) : py::object(py::int_(v)); }

// CS values are ASCII; a corrupt one is passed on as Latin-1 rather than failing to decode.
py::object optional_str(const std::string& s) {
  if (s.empty()) return py::none();
  PyObject* o = PyUnicode_DecodeLatin1(s.data(), static_cast<Py_ssize_t>(s.size()), nullptr);
  if (!o) throw py::error_already_set();
  return py::reinterpret_steal<py::object>(o);
}

const char* source_name(PositionSource s) {
  switch (s) {
    case PositionSource::per_frame: return "per_frame";
    case PositionSource::shared: return "shared";
    case PositionSource::tiled_full: return "tiled_full";
  }
  return "";
}

// (number_of_frames, source, column_positions, row_positions, z_offsets, focal_planes, optical_paths,
//  optical_path_identifiers, dimension_organization_type, specific_character_set, rows, columns,
//  total_pixel_matrix_columns, total_pixel_matrix_rows, total_pixel_matrix_focal_planes,
//  number_of_optical_paths, concatenation_frame_offset)
py::tuple positions_tuple(TilePositions&& t) {
  py::list ids;
  for (const std::string& s : t.optical_path_identifiers) ids.append(py::bytes(s));  // decoded in Python
  return py::make_tuple(t.number_of_frames, source_name(t.source), take_array(std::move(t.column_positions)),
                        take_array(std::move(t.row_positions)), take_array(std::move(t.z_offsets)),
                        take_array(std::move(t.focal_planes)), take_array(std::move(t.optical_paths)), ids,
                        optional_str(t.dimension_organization_type), optional_str(t.specific_character_set),
                        optional_int(t.rows), optional_int(t.columns), optional_int(t.total_pixel_matrix_columns),
                        optional_int(t.total_pixel_matrix_rows), optional_int(t.total_pixel_matrix_focal_planes),
                        optional_int(t.number_of_optical_paths), t.concatenation_frame_offset);
}

py::tuple py_tile_positions(const py::object& buffer) {
  Buffer in(buffer, "buffer");
  TilePositions t;
  {
    py::gil_scoped_release nogil;
    t = read_tile_positions(in.bytes());
  }
  return positions_tuple(std::move(t));
}

py::tuple py_tile_positions_file(const py::object& path) {
  const std::string p = fs_path(path);
  TilePositions t;
  try {
    py::gil_scoped_release nogil;
    FileSource src(p);
    t = read_tile_positions(src);
  } catch (const FileError& e) {
    raise_file_error(e, path);
  }
  return positions_tuple(std::move(t));
}

}  // namespace

void add_slide(py::module_& m) {
  m.def("_tile_positions", &py_tile_positions, py::arg("buffer"),
        "Every frame's position in a tiled image held in a buffer; framecodec's tile_positions wraps the result.");
  m.def("_tile_positions_file", &py_tile_positions_file, py::arg("path"),
        "Every frame's position in a tiled image file, reading only its header; tile_positions wraps the result.");
}

}  // namespace framecodec::bindings
