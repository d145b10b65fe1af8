// framecodec._core: the only file that knows about Python. It turns Python buffers into spans,
// releases the GIL around every kernel call, and maps C++ exceptions to Python ones.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cerrno>
#include <deque>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "bitpack.h"
#include "dataset_locate.h"
#include "deflate.h"
#include "encaps_frames.h"
#include "encaps_scan.h"
#include "encaps_write.h"
#include "errors.h"
#include "rle.h"
#include "le.h"
#include "tags.h"

namespace py = pybind11;
using namespace framecodec;

namespace {

// A C-contiguous view of any object with the buffer protocol, held for the length of a call
// (the export stops a bytearray from being resized while the GIL is released).
class Buffer {
 public:
  Buffer(py::handle obj, const char* name, bool writable = false) {
    if (!PyObject_CheckBuffer(obj.ptr()))
      throw py::type_error(std::string(name) + " must be a bytes-like object (bytes, bytearray, memoryview, "
                           "numpy array), not " + std::string(py::str(py::type::of(obj).attr("__name__"))));
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj.ptr(), &view_, flags) != 0) {
      PyErr_Clear();
      if (writable && PyObject_GetBuffer(obj.ptr(), &view_, PyBUF_C_CONTIGUOUS) == 0) {
        PyBuffer_Release(&view_);
        throw py::type_error(std::string(name) + " must be writable");
      }
      PyErr_Clear();
      throw py::value_error(std::string(name) + " must be C-contiguous");
    }
  }
  ~Buffer() { PyBuffer_Release(&view_); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  size_t size() const { return static_cast<size_t>(view_.len); }
  ConstBytes bytes() const { return {static_cast<const uint8_t*>(view_.buf), size()}; }
  MutBytes mut() const { return {static_cast<uint8_t*>(view_.buf), size()}; }
  std::string format() const { return view_.format ? view_.format : "B"; }
  // One-byte items: uint8, int8, bool or char.
  bool bytewise() const { return view_.itemsize == 1; }
  bool uint8() const {
    std::string f = format();
    return view_.itemsize == 1 && (f == "B" || f == "=B" || f == "<B" || f == "@B");
  }

 private:
  Py_buffer view_{};
};

// One-shot calls reuse a per-thread Deflater/Inflater: zlib's state is then allocated once per thread
// instead of once per frame. Each is touched only by its own thread, during one call.
Deflater& thread_deflater(int level) {
  thread_local std::unique_ptr<Deflater> cache[10];
  std::unique_ptr<Deflater>& d = cache[level < 0 ? 6 : level];  // -1 is zlib's default, level 6
  if (!d) d = std::make_unique<Deflater>(level < 0 ? 6 : level);
  return *d;
}

Inflater& thread_inflater() {
  thread_local Inflater inflater;
  return inflater;
}

size_t non_negative(py::ssize_t v, const char* name) {
  if (v < 0) throw py::value_error(std::string(name) + " must be >= 0, got " + std::to_string(v));
  return static_cast<size_t>(v);
}

// The uint8 array a decoder writes into: a new one, or a view of the caller's `out` of exactly `size` bytes.
struct Output {
  py::object result;  // what the call returns
  MutBytes span;
};

Output make_output(const py::object& out, size_t size, const char* what) {
  if (out.is_none()) {
    py::array_t<uint8_t> a(static_cast<py::ssize_t>(size));
    return {a, {a.mutable_data(), size}};
  }
  Buffer b(out, "out", /*writable=*/true);
  if (!b.uint8()) throw py::type_error(std::string("out must have dtype uint8, got buffer format '") + b.format() + "'");
  if (b.size() != size)
    throw py::value_error(std::string("out must be exactly ") + std::to_string(size) + " bytes for " + what + ", got " +
                          std::to_string(b.size()));
  MutBytes span = b.mut();
  if (py::isinstance<py::array>(out)) return {out, span};
  return {py::module_::import("numpy").attr("frombuffer")(out, "uint8"), span};
}

// A bytes object of `capacity` bytes that the kernel fills with the GIL released, then shrinks to `used`.
class BytesResult {
 public:
  explicit BytesResult(size_t capacity)
      : obj_(PyBytes_FromStringAndSize(nullptr, static_cast<Py_ssize_t>(capacity))) {
    if (!obj_) throw py::error_already_set();
  }
  ~BytesResult() { Py_XDECREF(obj_); }
  MutBytes span() { return {reinterpret_cast<uint8_t*>(PyBytes_AS_STRING(obj_)), static_cast<size_t>(PyBytes_GET_SIZE(obj_))}; }
  py::bytes finish(size_t used) {
    if (used != static_cast<size_t>(PyBytes_GET_SIZE(obj_)) && _PyBytes_Resize(&obj_, static_cast<Py_ssize_t>(used)) != 0)
      throw py::error_already_set();
    PyObject* o = obj_;
    obj_ = nullptr;
    return py::reinterpret_steal<py::bytes>(o);
  }

 private:
  PyObject* obj_;
};

py::bytes py_deflate(const py::object& data, int level) {
  Buffer in(data, "data");
  if (level < -1 || level > 9) throw py::value_error("level must be -1 or 0..9, got " + std::to_string(level));
  BytesResult out(deflate_bound(in.size()));
  size_t n;
  {
    py::gil_scoped_release nogil;
    n = thread_deflater(level).compress(in.bytes(), out.span());
  }
  return out.finish(n);
}

py::object py_inflate(const py::object& data, py::ssize_t size, const py::object& out) {
  Buffer in(data, "data");
  Output o = make_output(out, non_negative(size, "size"), "this frame");
  {
    py::gil_scoped_release nogil;
    thread_inflater().decompress(in.bytes(), o.span);
  }
  return o.result;
}

py::bytes py_pack_bits(const py::object& values) {
  Buffer in(values, "values");
  if (!in.bytewise())
    throw py::type_error("pack_bits takes uint8 or bool values, got buffer format '" + in.format() + "'");
  BytesResult out(packed_size(in.size()));
  {
    py::gil_scoped_release nogil;
    pack_bits(in.bytes(), out.span());
  }
  return out.finish(packed_size(in.size()));
}

py::object py_unpack_bits(const py::object& data, py::ssize_t count, py::ssize_t bit_offset, const py::object& out) {
  Buffer in(data, "data");
  size_t n = non_negative(count, "count");
  size_t off = non_negative(bit_offset, "bit_offset");
  if (off > SIZE_MAX - n || in.size() < packed_size(off + n))
    throw py::value_error(std::to_string(n) + " bits at bit offset " + std::to_string(off) + " need " +
                          std::to_string(packed_size(off + n)) + " bytes of data, got " + std::to_string(in.size()));
  Output o = make_output(out, n, "the unpacked bits");
  {
    py::gil_scoped_release nogil;
    unpack_bits(in.bytes(), off, o.span);
  }
  return o.result;
}

RleFrame rle_frame(py::ssize_t rows, py::ssize_t columns, py::ssize_t samples_per_pixel, py::ssize_t bits_allocated) {
  RleFrame f{non_negative(rows, "rows"), non_negative(columns, "columns"),
             non_negative(samples_per_pixel, "samples_per_pixel"), non_negative(bits_allocated, "bits_allocated")};
  rle_check_frame(f);  // std::invalid_argument -> ValueError
  return f;
}

py::object py_rle_decode(const py::object& data, py::ssize_t rows, py::ssize_t columns, py::ssize_t samples_per_pixel,
                         py::ssize_t bits_allocated, const py::object& out, const std::string& segment_order,
                         bool planar) {
  Buffer in(data, "data");
  const RleFrame f = rle_frame(rows, columns, samples_per_pixel, bits_allocated);
  if (segment_order != ">" && segment_order != "<")
    throw py::value_error("segment_order must be '>' (conformant) or '<', got '" + segment_order + "'");
  const RleSegmentOrder order = segment_order == ">" ? RleSegmentOrder::MsbFirst : RleSegmentOrder::LsbFirst;
  Output o = make_output(out, rle_decoded_size(f), "this frame");
  {
    py::gil_scoped_release nogil;
    rle_decode(in.bytes(), f, order, planar, o.span);
  }
  return o.result;
}

py::bytes py_rle_encode(const py::object& pixels, py::ssize_t rows, py::ssize_t columns, py::ssize_t samples_per_pixel,
                        py::ssize_t bits_allocated, bool packed) {
  Buffer in(pixels, "pixels");
  const RleFrame f = rle_frame(rows, columns, samples_per_pixel, bits_allocated);
  const std::string fmt = in.format();
  if (!in.bytewise() && !fmt.empty() && (fmt[0] == '>' || fmt[0] == '!'))
    throw py::value_error("pixels must be little-endian, got buffer format '" + fmt + "'");
  if (packed && f.bits_allocated != 1)
    throw py::value_error("packed=True is for bits_allocated 1 only, got " + std::to_string(f.bits_allocated));
  const RleInput kind = packed ? RleInput::PackedBits : RleInput::Bytes;
  const size_t expected = rle_encode_input_size(f, kind);
  if (in.size() != expected) {
    std::string hint;
    if (f.bits_allocated == 1 && !packed && in.size() == rle_encode_input_size(f, RleInput::PackedBits))
      hint = " (bit-packed input needs packed=True)";
    throw py::value_error("pixels must be " + std::to_string(expected) + (packed ? " packed" : "") + " bytes for a " +
                          std::to_string(f.rows) + " x " + std::to_string(f.columns) + " frame of " +
                          std::to_string(f.samples_per_pixel) + " samples of " + std::to_string(f.bits_allocated) +
                          " bits, got " + std::to_string(in.size()) + hint);
  }
  BytesResult out(rle_encode_bound(f));
  size_t n;
  {
    py::gil_scoped_release nogil;
    n = rle_encode(in.bytes(), f, kind, out.span());
  }
  return out.finish(n);
}

// A read-only numpy array that takes over a vector's memory: no copy, freed with the array.
py::array_t<uint64_t> take_array(std::vector<uint64_t>&& v) {
  auto owned = std::make_unique<std::vector<uint64_t>>(std::move(v));
  py::capsule owner(owned.get(), [](void* p) { delete static_cast<std::vector<uint64_t>*>(p); });
  std::vector<uint64_t>* data = owned.release();  // the capsule owns it now
  py::array_t<uint64_t> a(static_cast<py::ssize_t>(data->size()), data->data(), owner);
  py::detail::array_proxy(a.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return a;
}

uint64_t non_negative_u64(py::ssize_t v, const char* name) { return static_cast<uint64_t>(non_negative(v, name)); }

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

// (offsets, lengths, frame_fragments, source, first_item, end, has_delimiter)
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
                                            : codestream_for_transfer_syntax(transfer_syntax.cast<std::string>());
  FrameTable t;
  {
    py::gil_scoped_release nogil;
    t = build_frame_table(in.bytes(), off, static_cast<uint64_t>(number_of_frames),
                          extended_offsets.is_none() ? nullptr : &eot, cs);
  }
  return py::make_tuple(take_array(std::move(t.offsets)), take_array(std::move(t.lengths)),
                        take_array(std::move(t.frame_fragments)), source_name(t.source), t.first_item, t.end,
                        t.has_delimiter);
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
  std::string p = py::module_::import("os").attr("fsencode")(path).cast<std::string>();
  PixelDataLocation l;
  try {
    py::gil_scoped_release nogil;
    FileSource src(p);
    l = locate_pixel_data(src);
  } catch (const std::system_error& e) {
    errno = e.code().value();
    PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, path.ptr());
    throw py::error_already_set();
  }
  return location_tuple(std::move(l));
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "framecodec's native kernels. Use the framecodec package, which re-exports them.";

  auto decode_error = py::register_exception<DecodeError>(m, "DecodeError", PyExc_ValueError);
  decode_error.attr("__module__") = "framecodec";
  decode_error.attr("__doc__") = "Compressed pixel data is corrupt, truncated, or inconsistent with the expected frame.";

  auto encaps_error = py::register_exception<EncapsulationError>(m, "EncapsulationError", PyExc_ValueError);
  encaps_error.attr("__module__") = "framecodec";
  encaps_error.attr("__doc__") =
      "Encapsulated Pixel Data or the data set around it is malformed, truncated, or disagrees with its offset "
      "tables.";

  m.def("deflate", &py_deflate, py::arg("data"), py::arg("level") = 6,
        "Compress one frame to a raw RFC 1951 deflate stream (no zlib header or checksum).");
  m.def("inflate", &py_inflate, py::arg("data"), py::arg("size"), py::arg("out") = py::none(),
        "Decompress a raw deflate stream that decodes to exactly `size` bytes, into `out` when given.");
  m.def("pack_bits", &py_pack_bits, py::arg("values"),
        "Pack uint8/bool values (non-zero is 1) into bytes, first value in the least significant bit.");
  m.def("unpack_bits", &py_unpack_bits, py::arg("data"), py::arg("count"), py::arg("bit_offset") = 0,
        py::arg("out") = py::none(), "Unpack `count` bits starting at `bit_offset` into 0/1 uint8 values.");
  m.def("deflate_bound", [](py::ssize_t n) { return deflate_bound(non_negative(n, "n")); }, py::arg("n"),
        "Upper bound of deflate's output size for n input bytes.");
  m.def("rle_decode", &py_rle_decode, py::arg("data"), py::arg("rows"), py::arg("columns"),
        py::arg("samples_per_pixel"), py::arg("bits_allocated"), py::arg("out") = py::none(),
        py::arg("segment_order") = ">", py::arg("planar") = false,
        "Decode one RLE Lossless frame (PS3.5 Annex G) into little-endian pixel bytes, interleaved or planar.");
  m.def("rle_encode", &py_rle_encode, py::arg("pixels"), py::arg("rows"), py::arg("columns"),
        py::arg("samples_per_pixel"), py::arg("bits_allocated"), py::arg("packed") = false,
        "Encode one frame of little-endian interleaved pixels as RLE Lossless (PS3.5 Annex G).");
  m.attr("zlib_version") = linked_zlib_version();

  m.def("_scan_fragments", &py_scan_fragments, py::arg("buffer"), py::arg("offset") = 0,
        "Walk an encapsulated Pixel Data value; framecodec.scan_fragments wraps the result.");
  m.def("_verify_extended_frames", &py_verify_extended_frames, py::arg("buffer"), py::arg("offsets"),
        py::arg("lengths"), py::arg("begin"), py::arg("end"),
        "Check frames [begin, end) of an Extended Offset Table frame table against the data.");
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
