// Encapsulated Pixel Data: fragment scans, writing, and locating Pixel Data in a file (frame tables: frame_table.cpp).
#include <pybind11/stl.h>

#include <algorithm>
#include <deque>
#include <string>
#include <tuple>
#include <vector>

#include "bindings/common.h"
#include "bindings/frame_table.h"
#include "dataset_locate.h"
#include "encaps_frames.h"
#include "encaps_scan.h"
#include "encaps_write.h"
#include "errors.h"
#include "le.h"

namespace framecodec::bindings {
namespace {

// (offsets, lengths, basic_offsets, first_item, end, has_delimiter)
py::tuple py_scan_fragments(const py::object& buffer, py::ssize_t offset) {
  Buffer in(buffer, "buffer");
  uint64_t off = non_negative_u64(offset, "offset");
  FragmentScan s;
  {
    py::gil_scoped_release nogil;
    s = scan_fragments(in.bytes(), off);
  }
  return py::make_tuple(take_array(std::move(s.offsets)), take_array(std::move(s.lengths)),
                        take_array(std::move(s.basic_offsets)), s.first_item, s.end, s.has_delimiter);
}

// (positions, lengths, heads of shape (k, 4), next, done): one block of an item walk, offsets absolute.
py::tuple py_walk_items(const py::object& buffer, py::ssize_t offset, py::ssize_t base) {
  Buffer in(buffer, "buffer");
  const uint64_t off = non_negative_u64(offset, "offset");
  const uint64_t b = non_negative_u64(base, "base");
  ItemWalk w;
  {
    py::gil_scoped_release nogil;
    w = walk_items(in.bytes(), off, b);
  }
  const auto k = static_cast<py::ssize_t>(w.positions.size());
  py::array heads = take_array(std::move(w.heads)).reshape({k, py::ssize_t{4}});  // a read-only view, as the rest
  return py::make_tuple(take_array(std::move(w.positions)), take_array(std::move(w.lengths)), heads, w.next, w.done);
}

// Checks frames [begin, end) of a table made from an Extended Offset Table against the data, as they are read.
void py_verify_extended_frames(const py::object& buffer, const py::array_t<uint64_t, py::array::c_style>& offsets,
                               const py::array_t<uint64_t, py::array::c_style>& lengths, py::ssize_t begin,
                               py::ssize_t end) {
  Buffer in(buffer, "buffer");
  const py::ssize_t n = offsets.size();
  if (lengths.size() != n || begin < 0 || end < begin || end > n)
    throw py::value_error("verify_extended_frames: inconsistent table or frame range");
  py::gil_scoped_release nogil;
  verify_extended_frames(in.bytes(), offsets.data(), lengths.data(), static_cast<uint64_t>(n),
                         static_cast<uint64_t>(begin), static_cast<uint64_t>(end));
}

OffsetTable offset_table_arg(const std::string& s) {
  if (s == "basic") return OffsetTable::basic;
  if (s == "extended") return OffsetTable::extended;
  if (s == "none") return OffsetTable::none;
  throw py::value_error("offset_table must be \"basic\", \"extended\" or \"none\", got \"" + s + "\"");
}

// The frames' buffers, held (and so unresizable) while the GIL is released.
struct FrameViews {
  std::deque<Buffer> buffers;
  std::vector<ConstBytes> spans;
  explicit FrameViews(const py::iterable& frames) {
    for (py::handle f : frames) {
      buffers.emplace_back(f, "each frame");
      spans.push_back(buffers.back().bytes());
    }
  }
};

py::bytes encapsulate_views(const FrameViews& v, OffsetTable table, bool delimiter) {
  BytesResult out(encapsulated_size(v.spans.data(), v.spans.size(), table, delimiter));
  MutBytes span = out.span();
  {
    py::gil_scoped_release nogil;
    encapsulate(v.spans.data(), v.spans.size(), table, delimiter, span);
  }
  return out.finish(span.size);
}

py::bytes py_encapsulate(const py::iterable& frames, const std::string& offset_table, bool delimiter) {
  OffsetTable table = offset_table_arg(offset_table);
  FrameViews v(frames);
  return encapsulate_views(v, table, delimiter);
}

py::tuple py_encapsulate_extended(const py::iterable& frames, bool delimiter) {
  FrameViews v(frames);
  py::bytes value = encapsulate_views(v, OffsetTable::extended, delimiter);
  const size_t n = v.spans.size();
  std::vector<uint64_t> offsets(n), lengths(n);
  extended_offset_table(v.spans.data(), n, offsets.data(), lengths.data());
  // (7FE0,0001) and (7FE0,0002) are OV: uint64 little endian.
  auto ov = [](const std::vector<uint64_t>& x) {
    BytesResult b(x.size() * 8);
    MutBytes out = b.span();
    for (size_t i = 0; i < x.size(); ++i) store_le64(out.data + 8 * i, x[i]);
    return b.finish(out.size);
  };
  return py::make_tuple(value, ov(offsets), ov(lengths));
}

py::object optional_int(int64_t v) { return v < 0 ? py::object(py::none()) : py::object(py::int_(v)); }

py::object optional_array(bool present, const std::vector<uint64_t>& v, const py::object& owner) {
  return present ? py::object(view_array(v, owner)) : py::object(py::none());
}

// Whether a location holds the Extended Offset Table's values (locate_pixel_data with read_extended), not only where
// they are.
bool extended_read(const PixelDataLocation& l) {
  return l.extended_offsets.size() == l.extended_offsets_count && l.extended_lengths.size() == l.extended_lengths_count;
}

// PixelDataLocation.frame_table: the table of this Pixel Data in the file it came from.
BoundTable location_table(const PixelDataLocation& l, const py::object& buffer, const py::object& number_of_frames,
                          bool lazy) {
  if (!l.encapsulated)
    throw EncapsulationError("the Pixel Data at offset " + std::to_string(l.offset) + " is native (defined length " +
                             std::to_string(l.length) + "), not encapsulated");
  if (number_of_frames.is_none() && l.number_of_frames == 0)
    throw EncapsulationError(
        "(0028,0008) Number of Frames is 0, but the data set has Pixel Data: pass "
        "number_of_frames if the count is known");
  const py::ssize_t n =
      number_of_frames.is_none() ? std::max<py::ssize_t>(l.number_of_frames, 1) : number_of_frames.cast<py::ssize_t>();
  if (l.has_extended_offsets != l.has_extended_lengths)
    throw EncapsulationError(l.has_extended_offsets ? "the data set has (7FE0,0001) Extended Offset Table but no "
                                                      "(7FE0,0002) Extended Offset Table Lengths"
                                                    : "the data set has (7FE0,0002) Extended Offset Table Lengths but "
                                                      "no (7FE0,0001) Extended Offset Table");
  Buffer in(buffer, "buffer");
  const Codestream cs = codestream_for_transfer_syntax(l.transfer_syntax);  // detect for ""
  ExtendedOffsetBytes copied;
  ExtendedOffsets eot;
  if (extended_read(l)) {  // from the location's copy
    eot = host_extended_offsets(l.extended_offsets.data(), l.extended_lengths.data(),
                                std::min(l.extended_offsets.size(), l.extended_lengths.size()), copied);
  } else if (l.has_extended_offsets) {  // where it lies in the buffer, which holds the file the location came from
    const ConstBytes b = in.bytes();
    const uint64_t count = std::min(l.extended_offsets_count, l.extended_lengths_count);
    auto holds = [&](uint64_t at) { return at <= b.size && (b.size - at) / 8 >= count; };
    if (!holds(l.extended_offsets_at) || !holds(l.extended_lengths_at))
      throw py::value_error("the buffer (" + std::to_string(b.size) +
                            " bytes) does not hold the Extended Offset Table of this location's file");
    eot = ExtendedOffsets{b.data + l.extended_offsets_at, b.data + l.extended_lengths_at, count};
  }
  eot.count = l.has_extended_offsets ? l.extended_offsets_count : 0;
  BoundTable b =
      table_of(buffer, in, n, l.offset, l.has_extended_offsets ? &eot : nullptr, l.extended_lengths_count, cs, lazy);
  // In a file the value ends with its sequence delimiter (PS3.5 A.4); running into the end of the data instead
  // means the file was cut short, and the last frame may have lost fragments unless its end is fixed.
  if (!b.table->has_delimiter && !last_frame_whole(in.bytes(), b.full(), l.transfer_syntax))
    throw EncapsulationError("truncated Pixel Data: the encapsulated value at offset " + std::to_string(l.offset) +
                             " runs to the end of the data at byte " + std::to_string(b.table->end) +
                             " without its sequence delimiter (FFFE,E0DD), so frame " + std::to_string(b.frames() - 1) +
                             ", the last, may be missing fragments; the file was cut short");
  return b;
}

py::tuple location_state(const PixelDataLocation& l) {
  return py::make_tuple(
      l.element_offset, l.offset, l.length, l.encapsulated, l.explicit_vr, l.vr, l.transfer_syntax, l.number_of_frames,
      l.has_extended_offsets, l.has_extended_lengths, l.extended_offsets, l.extended_lengths,
      py::make_tuple(l.extended_offsets_at, l.extended_lengths_at, l.extended_offsets_count, l.extended_lengths_count));
}

PixelDataLocation location_from_state(const py::tuple& s) {
  if (s.size() != 12 && s.size() != 13)
    throw py::value_error("a pickled PixelDataLocation has 13 fields, got " + std::to_string(s.size()));
  PixelDataLocation l;
  l.element_offset = s[0].cast<uint64_t>();
  l.offset = s[1].cast<uint64_t>();
  l.length = s[2].cast<uint64_t>();
  l.encapsulated = s[3].cast<bool>();
  l.explicit_vr = s[4].cast<bool>();
  l.vr = s[5].cast<std::string>();
  l.transfer_syntax = s[6].cast<std::string>();
  l.number_of_frames = s[7].cast<int64_t>();
  l.has_extended_offsets = s[8].cast<bool>();
  l.has_extended_lengths = s[9].cast<bool>();
  l.extended_offsets = s[10].cast<std::vector<uint64_t>>();
  l.extended_lengths = s[11].cast<std::vector<uint64_t>>();
  if (s.size() == 13) {
    std::tie(l.extended_offsets_at, l.extended_lengths_at, l.extended_offsets_count, l.extended_lengths_count) =
        s[12].cast<std::tuple<uint64_t, uint64_t, uint64_t, uint64_t>>();
  } else {
    l.extended_offsets_count = l.extended_offsets.size();
    l.extended_lengths_count = l.extended_lengths.size();
  }
  return l;
}

void add_location(py::module_& m) {
  using L = PixelDataLocation;
  py::class_<L>(m, "PixelDataLocation",
                "Where the top-level Pixel Data (7FE0,0010) of a file or data set is, from locate_pixel_data.")
      .def_readonly("element_offset", &L::element_offset, "The (7FE0,0010) tag's first byte.")
      .def_readonly("offset", &L::offset,
                    "The value's first byte: for encapsulated data, the Basic Offset Table's item tag.")
      .def_property_readonly(
          "length", [](const L& l) { return l.encapsulated ? py::object(py::none()) : py::object(py::int_(l.length)); },
          "The value's length, or None when it is undefined (encapsulated data ends at its sequence delimiter).")
      .def_readonly("encapsulated", &L::encapsulated, "Undefined length: a sequence of fragment items (PS3.5 A.4).")
      .def_property_readonly(
          "transfer_syntax", [](const L& l) { return optional_str(l.transfer_syntax); },
          "(0002,0010) Transfer Syntax UID; None when the data has no file meta information.")
      .def_property_readonly(
          "number_of_frames", [](const L& l) { return optional_int(l.number_of_frames); },
          "Top-level (0028,0008) Number of Frames; None when absent or not an integer.")
      .def_property_readonly(
          "extended_offsets",
          [](const py::object& self) {
            const L& l = self.cast<const L&>();
            if (!extended_read(l)) throw py::value_error("this location was made without reading (7FE0,0001)");
            return optional_array(l.has_extended_offsets, l.extended_offsets, self);
          },
          "(7FE0,0001) Extended Offset Table, None when absent. Read-only.")
      .def_property_readonly(
          "extended_lengths",
          [](const py::object& self) {
            const L& l = self.cast<const L&>();
            if (!extended_read(l)) throw py::value_error("this location was made without reading (7FE0,0002)");
            return optional_array(l.has_extended_lengths, l.extended_lengths, self);
          },
          "(7FE0,0002) Extended Offset Table Lengths, None when absent. Read-only.")
      .def_property_readonly(
          "vr", [](const L& l) { return optional_str(l.vr); },
          "\"OB\" or \"OW\" in an explicit VR data set, None in implicit VR.")
      .def_readonly("explicit_vr", &L::explicit_vr,
                    "Whether the data set is explicit VR (it may contradict the transfer syntax; it is read as "
                    "encoded).")
      .def("frame_table", &location_table, py::arg("buffer"), py::arg("number_of_frames") = py::none(),
           py::arg("lazy") = false,
           "frame_table of this Pixel Data in buffer, which holds the file this location came from.\n\n"
           "number_of_frames defaults to the data set's Number of Frames, or 1 when it has none; a Number of Frames "
           "of 0 is an EncapsulationError (a data set with Pixel Data has a frame). A value that runs into the end "
           "of the data without its sequence delimiter is an EncapsulationError unless its last frame is known to "
           "be whole (an Extended Offset Table; one fragment per frame in RLE, Deflated Image Frame Compression or "
           "Encapsulated Uncompressed; a JPEG-family codestream that ends with its end marker).\n\n"
           "lazy: with a Basic Offset Table, or an Extended Offset Table this location did not copy (read_extended="
           "False), the table is read where it lies in buffer and only its first and last frames' items are read; "
           "each other frame's items are read and checked when it is read (_select), or all of them when the "
           "table's offsets, lengths or frame_fragments are first asked for (the table keeps buffer for that).")
      .def("__eq__",
           [](const L& a, const py::object& other) -> py::object {
             if (!py::isinstance<L>(other)) return py::reinterpret_borrow<py::object>(Py_NotImplemented);
             return location_state(a).equal(location_state(other.cast<const L&>())) ? py::bool_(true)
                                                                                    : py::bool_(false);
           })
      .def("__repr__",
           [](const L& l) {
             std::string r = "PixelDataLocation(offset=" + std::to_string(l.offset) + ", ";
             r += l.encapsulated ? "encapsulated" : "length=" + std::to_string(l.length);
             r += ", transfer_syntax=" + (l.transfer_syntax.empty() ? "None" : "'" + l.transfer_syntax + "'");
             r += ", number_of_frames=" + (l.number_of_frames < 0 ? "None" : std::to_string(l.number_of_frames));
             if (l.has_extended_offsets) r += ", extended offset table of " + std::to_string(l.extended_offsets_count);
             return r + (l.explicit_vr ? ", explicit VR)" : ", implicit VR)");
           })
      .def(py::pickle(&location_state, &location_from_state));
}

py::object py_locate_buffer(const py::object& buffer, bool read_extended) {
  Buffer in(buffer, "buffer");
  PixelDataLocation l;
  {
    py::gil_scoped_release nogil;
    MemorySource src(in.bytes());
    l = locate_pixel_data(src, read_extended);
  }
  return py::cast(std::move(l));
}

py::object py_locate_file(const py::object& path) {
  const std::string p = fs_path(path);
  PixelDataLocation l;
  try {
    py::gil_scoped_release nogil;
    FileSource src(p);
    l = locate_pixel_data(src);
  } catch (const FileError& e) {
    raise_file_error(e, path);
  }
  return py::cast(std::move(l));
}

}  // namespace

void add_encaps(py::module_& m) {
  add_location(m);
  m.def("_scan_fragments", &py_scan_fragments, py::arg("buffer"), py::arg("offset") = 0,
        "Walk an encapsulated Pixel Data value; framecodec.scan_fragments wraps the result.");
  m.def("_walk_items", &py_walk_items, py::arg("buffer"), py::arg("offset"), py::arg("base"),
        "Walk the items of one block of an encapsulated value read from file offset base; offsets are absolute.");
  m.def("_verify_extended_frames", &py_verify_extended_frames, py::arg("buffer"), py::arg("offsets"),
        py::arg("lengths"), py::arg("begin"), py::arg("end"),
        "Check frames [begin, end) of an Extended Offset Table frame table against the data.");
  m.def("_locate_pixel_data_buffer", &py_locate_buffer, py::arg("buffer"), py::arg("read_extended") = true,
        "Find Pixel Data in a buffer; framecodec.locate_pixel_data chooses between the two. read_extended=False: "
        "the Extended Offset Table's values are not copied (frame_table reads them where they lie in the buffer; "
        "extended_offsets and extended_lengths raise ValueError).");
  m.def("_locate_pixel_data_file", &py_locate_file, py::arg("path"),
        "Find Pixel Data in a file, reading only its header; framecodec.locate_pixel_data chooses between the two.");
  m.def("encapsulate", &py_encapsulate, py::arg("frames"), py::arg("offset_table") = "basic",
        py::arg("delimiter") = false,
        "Encapsulate frames, one fragment each, as pydicom.encaps.encapsulate does (PS3.5 A.4).");
  m.def("encapsulate_extended", &py_encapsulate_extended, py::arg("frames"), py::arg("delimiter") = false,
        "Encapsulate frames with an empty BOT and return (value, Extended Offset Table, its Lengths) as bytes.");
}

}  // namespace framecodec::bindings