// The per-frame kernels: deflate/inflate, 1-bit packing, RLE Lossless.
#include <string>

#include "bindings/common.h"
#include "bitpack.h"
#include "deflate_libdeflate.h"
#include "rle.h"

namespace framecodec::bindings {
namespace {

// One-shot calls reuse a per-thread deflater and inflater: zlib's and libdeflate's state is then allocated
// once per thread instead of once per frame. Each is touched only by its own thread, during one call.
FrameDeflater& thread_deflater() {
  thread_local FrameDeflater deflater;
  return deflater;
}

FrameInflater& thread_inflater() {
  thread_local FrameInflater inflater;
  return inflater;
}

py::bytes py_deflate(const py::object& data, int level, const py::object& backend) {
  Buffer in(data, "data");
  const DeflateBackend b = deflate_backend_arg(backend);
  check_deflate_level(b, level);  // std::invalid_argument -> ValueError naming the backend's levels
  BytesResult out(deflate_bound(b, in.size()));
  size_t n;
  {
    py::gil_scoped_release nogil;
    n = thread_deflater().compress(in.bytes(), out.span(), b, level);
  }
  return out.finish(n);
}

py::object py_inflate(const py::object& data, py::ssize_t size, const py::object& out, const py::object& backend) {
  Buffer in(data, "data");
  const DeflateBackend b = inflate_backend_arg(backend);
  Output o = make_output(out, non_negative(size, "size"), "this frame");
  check_no_overlap(in.bytes(), o.span, "data");
  {
    py::gil_scoped_release nogil;
    thread_inflater().decompress(in.bytes(), o.span, b);
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
  check_no_overlap(in.bytes(), o.span, "data");
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
  check_no_overlap(in.bytes(), o.span, "data");
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

}  // namespace

void add_kernels(py::module_& m) {
  m.def("deflate", &py_deflate, py::arg("data"), py::arg("level") = 6, py::arg("backend") = py::none(),
        "Compress one frame to a raw RFC 1951 deflate stream (no zlib header or checksum), with zlib unless "
        "backend=\"libdeflate\".");
  m.def("inflate", &py_inflate, py::arg("data"), py::arg("size"), py::arg("out") = py::none(),
        py::arg("backend") = py::none(),
        "Decompress a raw deflate stream that decodes to exactly `size` bytes, into `out` when given.");
  m.def("pack_bits", &py_pack_bits, py::arg("values"),
        "Pack uint8/bool values (non-zero is 1) into bytes, first value in the least significant bit.");
  m.def("unpack_bits", &py_unpack_bits, py::arg("data"), py::arg("count"), py::arg("bit_offset") = 0,
        py::arg("out") = py::none(), "Unpack `count` bits starting at `bit_offset` into 0/1 uint8 values.");
  m.def(
      "deflate_bound",
      [](py::ssize_t n, const py::object& backend) {
        return deflate_bound(deflate_backend_arg(backend), non_negative(n, "n"));
      },
      py::arg("n"), py::arg("backend") = py::none(), "Upper bound of deflate's output size for n input bytes.");
  m.def("rle_decode", &py_rle_decode, py::arg("data"), py::arg("rows"), py::arg("columns"),
        py::arg("samples_per_pixel"), py::arg("bits_allocated"), py::arg("out") = py::none(),
        py::arg("segment_order") = ">", py::arg("planar") = false,
        "Decode one RLE Lossless frame (PS3.5 Annex G) into little-endian pixel bytes, interleaved or planar.");
  m.def("rle_encode", &py_rle_encode, py::arg("pixels"), py::arg("rows"), py::arg("columns"),
        py::arg("samples_per_pixel"), py::arg("bits_allocated"), py::arg("packed") = false,
        "Encode one frame of little-endian interleaved pixels as RLE Lossless (PS3.5 Annex G).");
}

}  // namespace framecodec::bindings
