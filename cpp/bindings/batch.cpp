// The batch engine: a whole list of frames decoded into one caller-owned array, or encoded and
// encapsulated, with the GIL released once for the whole batch.
#include <string>
#include <vector>

#include "batch_decode.h"
#include "batch_encode.h"
#include "bindings/common.h"
#include "bitpack.h"
#include "encaps_frames.h"
#include "encaps_write.h"
#include "errors.h"
#include "le.h"
#include "thread_pool.h"

namespace framecodec::bindings {
namespace {

using U64 = py::array_t<uint64_t, py::array::c_style | py::array::forcecast>;
using I64 = py::array_t<int64_t, py::array::c_style | py::array::forcecast>;

FrameCodec codec_arg(const std::string& s) {
  if (s == "deflate") return FrameCodec::deflate;
  if (s == "rle") return FrameCodec::rle;
  if (s == "uncompressed") return FrameCodec::uncompressed;
  if (s == "native") return FrameCodec::native;
  throw py::value_error("codec must be \"deflate\", \"rle\", \"uncompressed\" or \"native\", got \"" + s + "\"");
}

FrameLayout layout_arg(py::ssize_t rows, py::ssize_t columns, py::ssize_t spp, py::ssize_t bits, bool planar,
                       const std::string& segment_order) {
  if (segment_order != ">" && segment_order != "<")
    throw py::value_error("segment_order must be '>' (conformant) or '<', got '" + segment_order + "'");
  FrameLayout f;
  f.rows = non_negative(rows, "rows");
  f.columns = non_negative(columns, "columns");
  f.samples_per_pixel = non_negative(spp, "samples_per_pixel");
  f.bits_allocated = non_negative(bits, "bits_allocated");
  f.planar = planar;
  f.segment_order = segment_order == ">" ? RleSegmentOrder::MsbFirst : RleSegmentOrder::LsbFirst;
  check_layout(f);  // std::invalid_argument -> ValueError
  return f;
}

// Offsets, lengths and fragment indices: integers only (forcecast alone would truncate floats and wrap
// negative values into huge offsets, and then the error would blame the data).
U64 u64_arg(const py::object& o, const char* name) {
  py::array raw = py::array::ensure(o);
  if (!raw || raw.ndim() != 1) {
    PyErr_Clear();
    throw py::type_error(std::string(name) + " must be a one-dimensional array of unsigned integers");
  }
  const char kind = raw.dtype().kind();
  if (raw.size() && kind != 'u' && kind != 'i')
    throw py::type_error(std::string(name) + " must hold integers from 0 to 2**64 - 1, got dtype " +
                         std::string(py::str(raw.dtype())) + (kind == 'O'   ? " (a value of 2**64 or more?)"
                          : kind == 'f' ? " (numpy makes a list that holds 2**63 or more float64: pass a uint64 array)"
                                        : ""));
  if (kind == 'i' && raw.size() && raw.attr("min")().cast<int64_t>() < 0)
    throw py::value_error(std::string(name) + " must not be negative");
  return U64::ensure(raw);
}

// Builds one job per requested frame from the table (its fragments' offsets and lengths in `buf`, and
// frame i's fragments [ff[i], ff[i+1]); without ff, fragment i is frame i), then decodes them.
void decode_table(ConstBytes buf, FrameCodec codec, const FrameLayout& layout, uint8_t* out, const uint64_t* offsets,
                  const uint64_t* lengths, size_t nfragments, const uint64_t* ff, size_t nframes, const int64_t* frames,
                  size_t njobs, bool extended, DeflateBackend inflate, unsigned threads) {
  const size_t out_frame = output_frame_size(layout);
  const bool native_bits = codec == FrameCodec::native && layout.bits_allocated == 1;
  std::vector<ConstBytes> parts;
  std::vector<size_t> first_part(njobs + 1);
  parts.reserve(njobs);
  for (size_t j = 0; j < njobs; ++j) {
    const int64_t fi = frames ? frames[j] : static_cast<int64_t>(j);
    if (fi < 0 || static_cast<uint64_t>(fi) >= nframes)
      throw std::invalid_argument("frame index " + std::to_string(fi) + " out of range for " +
                                  std::to_string(nframes) + " frames");
    const uint64_t f = static_cast<uint64_t>(fi);
    const uint64_t a = ff ? ff[f] : f, b = ff ? ff[f + 1] : f + 1;
    if (a > b || b > nfragments) throw std::invalid_argument("inconsistent frame table");
    if (extended) verify_extended_frames(buf, offsets, lengths, nframes, f, f + 1);
    first_part[j] = parts.size();
    for (uint64_t k = a; k < b; ++k) {
      uint64_t off = offsets[k], len = lengths[k];
      if (native_bits) {  // a bit offset: the bytes that hold the frame's bits
        len = packed_size(off % 8 + layout.rows * layout.columns);
        off /= 8;
      }
      if (off > buf.size || len > buf.size - off)
        throw EncapsulationError("frame " + std::to_string(f) + ": its data (" + std::to_string(len) +
                                 " bytes at offset " + std::to_string(off) + ") runs past the end of the " +
                                 std::to_string(buf.size) + "-byte buffer");
      parts.push_back({buf.data + off, static_cast<size_t>(len)});
    }
  }
  first_part[njobs] = parts.size();
  std::vector<FrameJob> jobs(njobs);
  for (size_t j = 0; j < njobs; ++j) {
    const int64_t fi = frames ? frames[j] : static_cast<int64_t>(j);
    jobs[j].frame = static_cast<uint64_t>(fi);
    jobs[j].parts = parts.data() + first_part[j];
    jobs[j].nparts = first_part[j + 1] - first_part[j];
    jobs[j].bit_offset = native_bits ? static_cast<uint8_t>(offsets[ff ? ff[fi] : fi] % 8) : 0;
    jobs[j].out = out + j * out_frame;
  }
  throw_first_failure(decode_frames(jobs.data(), njobs, codec, layout, inflate, threads));
}

void py_decode_frames(const py::object& buffer, const std::string& codec_name, py::ssize_t rows, py::ssize_t columns,
                      py::ssize_t spp, py::ssize_t bits, const py::object& out, const py::object& offsets,
                      const py::object& lengths, const py::object& frame_fragments, const py::object& frames,
                      bool planar, const std::string& segment_order, bool extended, py::ssize_t threads,
                      const py::object& backend) {
  const FrameCodec codec = codec_arg(codec_name);
  const DeflateBackend inflate = inflate_backend_arg(backend, codec == FrameCodec::deflate);
  const FrameLayout layout = layout_arg(rows, columns, spp, bits, planar, segment_order);
  Buffer in(buffer, "buffer");
  Buffer dst(out, "out", /*writable=*/true);
  U64 off = u64_arg(offsets, "offsets"), len = u64_arg(lengths, "lengths");
  if (off.size() != len.size()) throw py::value_error("offsets and lengths must have the same length");
  U64 ff;
  size_t nframes = static_cast<size_t>(off.size());
  if (!frame_fragments.is_none()) {
    ff = u64_arg(frame_fragments, "frame_fragments");
    if (ff.size() < 1) throw py::value_error("frame_fragments needs number_of_frames + 1 entries");
    nframes = static_cast<size_t>(ff.size()) - 1;
  }
  I64 idx;
  size_t njobs = nframes;
  if (!frames.is_none()) {
    idx = I64::ensure(frames);
    if (!idx || idx.ndim() != 1) {
      PyErr_Clear();
      throw py::type_error("frames must be a one-dimensional array of frame indices");
    }
    njobs = static_cast<size_t>(idx.size());
  }
  check_no_overlap(in.bytes(), dst.mut(), "the buffer");
  const size_t need = njobs * output_frame_size(layout);
  if (dst.size() != need)
    throw py::value_error("out must be exactly " + std::to_string(need) + " bytes for " + std::to_string(njobs) +
                          " frames, got " + std::to_string(dst.size()));
  const unsigned nthreads = static_cast<unsigned>(non_negative(threads, "threads"));
  py::gil_scoped_release nogil;
  decode_table(in.bytes(), codec, layout, dst.mut().data, off.data(), len.data(), static_cast<size_t>(off.size()),
               frame_fragments.is_none() ? nullptr : ff.data(), nframes, frames.is_none() ? nullptr : idx.data(), njobs,
               extended, inflate, nthreads);
}

// One frame on the calling thread, through the engine's decoder (one per thread, kept between calls).
py::object py_decode_frame(const py::object& data, const std::string& codec_name, py::ssize_t rows, py::ssize_t columns,
                           py::ssize_t spp, py::ssize_t bits, const py::object& out, bool planar,
                           const std::string& segment_order, py::ssize_t bit_offset, const py::object& backend) {
  const FrameCodec codec = codec_arg(codec_name);
  const DeflateBackend inflate = inflate_backend_arg(backend, codec == FrameCodec::deflate);
  const FrameLayout layout = layout_arg(rows, columns, spp, bits, planar, segment_order);
  if (codec == FrameCodec::rle) rle_check_frame({layout.rows, layout.columns, layout.samples_per_pixel, layout.bits_allocated});
  const size_t off = non_negative(bit_offset, "bit_offset");
  if (off > 7 || (off && !(codec == FrameCodec::native && layout.bits_allocated == 1)))
    throw py::value_error("bit_offset is for native 1-bit frames only, and 0 to 7");
  Buffer in(data, "data");
  Output o = make_output(out, output_frame_size(layout), "this frame");
  check_no_overlap(in.bytes(), o.span, "data");
  FrameJob job;
  ConstBytes part = in.bytes();
  job.parts = &part;
  job.nparts = 1;
  job.bit_offset = static_cast<uint8_t>(off);
  job.out = o.span.data;
  {
    py::gil_scoped_release nogil;
    thread_local FrameDecoder decoder;
    decoder.decode(job, codec, layout, inflate);
  }
  return o.result;
}

// (value, extended offsets as OV bytes or None, extended lengths or None)
py::tuple py_encode_frames(const py::object& pixels, py::ssize_t number_of_frames, const std::string& codec_name,
                           py::ssize_t rows, py::ssize_t columns, py::ssize_t spp, py::ssize_t bits, int level,
                           const std::string& offset_table, py::ssize_t threads, const py::object& backend) {
  const FrameCodec codec = codec_arg(codec_name);
  const DeflateBackend deflate = deflate_backend_arg(backend);
  if (codec == FrameCodec::deflate) check_deflate_level(deflate, level);
  const FrameLayout layout = layout_arg(rows, columns, spp, bits, false, ">");
  if (offset_table != "auto" && offset_table != "basic" && offset_table != "extended")
    throw py::value_error("offset_table must be \"auto\", \"basic\" or \"extended\", got \"" + offset_table + "\"");
  const size_t n = non_negative(number_of_frames, "number_of_frames");
  const unsigned nthreads = static_cast<unsigned>(non_negative(threads, "threads"));
  Buffer in(pixels, "pixels");
  if (in.size() != n * output_frame_size(layout))
    throw py::value_error("pixels must be " + std::to_string(n * output_frame_size(layout)) + " bytes for " +
                          std::to_string(n) + " frames, got " + std::to_string(in.size()));
  std::vector<std::vector<uint8_t>> encoded;
  std::vector<ConstBytes> spans(n);
  OffsetTable table = offset_table == "extended" ? OffsetTable::extended : OffsetTable::basic;
  size_t size;
  {
    py::gil_scoped_release nogil;
    encoded = encode_frames(in.bytes(), n, codec, layout, level, deflate, nthreads);
    uint64_t total = 0;
    for (size_t i = 0; i < n; ++i) {
      spans[i] = {encoded[i].data(), encoded[i].size()};
      total += 8 + encoded[i].size() + encoded[i].size() % 2;
    }
    // PS3.5 A.4: the Basic Offset Table holds uint32 offsets; past 4 GiB only the Extended one can.
    if (offset_table == "auto" && total > 0xFFFFFFFFull) table = OffsetTable::extended;
    size = encapsulated_size(spans.data(), n, table, /*delimiter=*/false);
  }
  BytesResult value(size);
  MutBytes span = value.span();
  std::vector<uint64_t> eo, el;
  {
    py::gil_scoped_release nogil;
    encapsulate(spans.data(), n, table, false, span);
    if (table == OffsetTable::extended) {
      eo.resize(n);
      el.resize(n);
      extended_offset_table(spans.data(), n, eo.data(), el.data());
    }
  }
  if (table != OffsetTable::extended) return py::make_tuple(value.finish(size), py::none(), py::none());
  auto ov = [](const std::vector<uint64_t>& x) {  // (7FE0,0001) and (7FE0,0002) are OV: uint64 little endian
    BytesResult b(x.size() * 8);
    MutBytes o = b.span();
    for (size_t i = 0; i < x.size(); ++i) store_le64(o.data + 8 * i, x[i]);
    return b.finish(o.size);
  };
  return py::make_tuple(value.finish(size), ov(eo), ov(el));
}

}  // namespace

void add_batch(py::module_& m) {
  m.def("decode_frame", &py_decode_frame, py::arg("data"), py::arg("codec"), py::arg("rows"), py::arg("columns"),
        py::arg("samples_per_pixel"), py::arg("bits_allocated"), py::arg("out") = py::none(),
        py::arg("planar") = false, py::arg("segment_order") = ">", py::arg("bit_offset") = 0,
        py::arg("backend") = py::none(),
        "Decode one frame as the batch engine does: interleaved little-endian samples, one byte per pixel for "
        "bits allocated 1.");
  m.def("_decode_frames", &py_decode_frames, py::arg("buffer"), py::arg("codec"), py::arg("rows"), py::arg("columns"),
        py::arg("samples_per_pixel"), py::arg("bits_allocated"), py::arg("out"), py::arg("offsets"),
        py::arg("lengths"), py::arg("frame_fragments") = py::none(), py::arg("frames") = py::none(),
        py::arg("planar") = false, py::arg("segment_order") = ">", py::arg("extended") = false,
        py::arg("threads") = 0, py::arg("backend") = py::none(),
        "Decode a list of frames into one output buffer on the worker pool; framecodec's pixel_array wraps it.");
  m.def("_encode_frames", &py_encode_frames, py::arg("pixels"), py::arg("number_of_frames"), py::arg("codec"),
        py::arg("rows"), py::arg("columns"), py::arg("samples_per_pixel"), py::arg("bits_allocated"),
        py::arg("level") = 6, py::arg("offset_table") = "auto", py::arg("threads") = 0,
        py::arg("backend") = py::none(),
        "Encode every frame on the worker pool and encapsulate them; framecodec.compress wraps it.");
  m.def("default_threads", [] { return worker_count(0, SIZE_MAX); },
        "The number of workers threads=None gives: one per core.");
}

}  // namespace framecodec::bindings
