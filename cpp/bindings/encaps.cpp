// Encapsulated Pixel Data: fragment scans, frame tables, writing, and locating Pixel Data in a file.
#include <deque>
#include <string>

#include "bindings/common.h"
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
  return py::make_tuple(take_array(std::move(w.positions)), take_array(std::move(w.lengths)), heads, w.next,
                        w.done);
}

const char* source_name(FrameSource s) {
  switch (s) {
    case FrameSource::extended_offset_table: return "extended";
    case FrameSource::basic_offset_table: return "basic";
    case FrameSource::one_fragment_per_frame: return "one_per_frame";
    case FrameSource::single_frame: return "single_frame";
    case FrameSource::codestream_markers: return "markers";
  }
  return "";
}

// (offsets, lengths, frame_fragments, source, first_item, end, has_delimiter, buffer address, buffer size)
py::tuple py_frame_table(const py::object& buffer, py::ssize_t number_of_frames, py::ssize_t offset,
                         const py::object& extended_offsets, const py::object& extended_lengths,
                         const py::object& transfer_syntax) {
  Buffer in(buffer, "buffer");
  if (number_of_frames < 1) throw py::value_error("number_of_frames must be at least 1, got " + std::to_string(number_of_frames));
  uint64_t off = non_negative_u64(offset, "offset");
  if (extended_offsets.is_none() != extended_lengths.is_none())
    throw py::value_error("extended_offsets and extended_lengths must be given together");
  using U64 = py::array_t<uint64_t, py::array::c_style | py::array::forcecast>;
  U64 eo, el;
  ExtendedOffsets eot;
  if (!extended_offsets.is_none()) {
    eo = U64::ensure(extended_offsets);
    el = U64::ensure(extended_lengths);
    if (!eo || !el || eo.ndim() != 1 || el.ndim() != 1)
      throw py::value_error("extended_offsets and extended_lengths must be one-dimensional uint64 arrays");
    if (eo.size() != el.size())
      throw EncapsulationError("the Extended Offset Table has " + std::to_string(eo.size()) +
                               " offsets but its Lengths table has " + std::to_string(el.size()) + " entries");
    eot = {eo.data(), el.data(), static_cast<size_t>(eo.size())};
  }
  Codestream cs = transfer_syntax.is_none() ? Codestream::detect
                                            : codestream_for_transfer_syntax(utf8_arg(transfer_syntax, "transfer_syntax"));
  FrameTable t;
  {
    py::gil_scoped_release nogil;
    t = build_frame_table(in.bytes(), off, static_cast<uint64_t>(number_of_frames),
                          extended_offsets.is_none() ? nullptr : &eot, cs);
  }
  return py::make_tuple(take_array(std::move(t.offsets)), take_array(std::move(t.lengths)),
                        take_array(std::move(t.frame_fragments)), source_name(t.source), t.first_item, t.end,
                        t.has_delimiter, reinterpret_cast<uintptr_t>(in.bytes().data), in.size());
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

// Where a buffer's bytes are: frame_bytes and iter_frames compare it with the buffer a table was made from.
py::tuple py_buffer_span(const py::object& buffer) {
  Buffer in(buffer, "buffer");
  return py::make_tuple(reinterpret_cast<uintptr_t>(in.bytes().data), in.size());
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

py::tuple location_tuple(PixelDataLocation&& l) {
  py::object length = l.encapsulated ? py::object(py::none()) : py::object(py::int_(l.length));
  // A UID is ASCII; a corrupt one is passed on as Latin-1 rather than failing to decode.
  py::object ts = l.transfer_syntax.empty()
                      ? py::object(py::none())
                      : py::reinterpret_steal<py::object>(PyUnicode_DecodeLatin1(
                            l.transfer_syntax.data(), static_cast<Py_ssize_t>(l.transfer_syntax.size()), nullptr));
  if (!ts) throw py::error_already_set();
  py::object nf = l.number_of_frames < 0 ? py::object(py::none()) : py::object(py::int_(l.number_of_frames));
  py::object eo = l.has_extended_offsets ? py::object(take_array(std::move(l.extended_offsets))) : py::object(py::none());
  py::object el = l.has_extended_lengths ? py::object(take_array(std::move(l.extended_lengths))) : py::object(py::none());
  return py::make_tuple(l.element_offset, l.offset, length, l.encapsulated, l.vr, ts, l.explicit_vr, nf, eo, el);
}

py::tuple py_locate_buffer(const py::object& buffer) {
  Buffer in(buffer, "buffer");
  PixelDataLocation l;
  {
    py::gil_scoped_release nogil;
    MemorySource src(in.bytes());
    l = locate_pixel_data(src);
  }
  return location_tuple(std::move(l));
}

py::tuple py_locate_file(const py::object& path) {
  const std::string p = fs_path(path);
  PixelDataLocation l;
  try {
    py::gil_scoped_release nogil;
    FileSource src(p);
    l = locate_pixel_data(src);
  } catch (const FileError& e) {
    raise_file_error(e, path);
  }
  return location_tuple(std::move(l));
}

}  // namespace

void add_encaps(py::module_& m) {
  m.def("_scan_fragments", &py_scan_fragments, py::arg("buffer"), py::arg("offset") = 0,
        "Walk an encapsulated Pixel Data value; framecodec.scan_fragments wraps the result.");
  m.def("_walk_items", &py_walk_items, py::arg("buffer"), py::arg("offset"), py::arg("base"),
        "Walk the items of one block of an encapsulated value read from file offset base; offsets are absolute.");
  m.def("_verify_extended_frames", &py_verify_extended_frames, py::arg("buffer"), py::arg("offsets"),
        py::arg("lengths"), py::arg("begin"), py::arg("end"),
        "Check frames [begin, end) of an Extended Offset Table frame table against the data.");
  m.def("_buffer_span", &py_buffer_span, py::arg("buffer"), "(address, size) of a buffer's bytes.");
  m.def("_frame_table", &py_frame_table, py::arg("buffer"), py::arg("number_of_frames"), py::arg("offset"),
        py::arg("extended_offsets"), py::arg("extended_lengths"), py::arg("transfer_syntax"),
        "Assign fragments to frames; framecodec.frame_table wraps the result.");
  m.def("_locate_pixel_data_buffer", &py_locate_buffer, py::arg("buffer"),
        "Find Pixel Data in a buffer; framecodec.locate_pixel_data wraps the result.");
  m.def("_locate_pixel_data_file", &py_locate_file, py::arg("path"),
        "Find Pixel Data in a file, reading only its header; framecodec.locate_pixel_data wraps the result.");
  m.def("encapsulate", &py_encapsulate, py::arg("frames"), py::arg("offset_table") = "basic",
        py::arg("delimiter") = false,
        "Encapsulate frames, one fragment each, as pydicom.encaps.encapsulate does (PS3.5 A.4).");
  m.def("encapsulate_extended", &py_encapsulate_extended, py::arg("frames"), py::arg("delimiter") = false,
        "Encapsulate frames with an empty BOT and return (value, Extended Offset Table, its Lengths) as bytes.");
}

}  // namespace framecodec::bindings
