// The batch engine: a whole list of frames decoded into one caller-owned array, or encoded and
// encapsulated, with the GIL released once for the whole batch.
#include <algorithm>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
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
  if (s == "jpeg") return FrameCodec::jpeg;
  if (s == "j2k") return FrameCodec::j2k;
  if (s == "htj2k") return FrameCodec::htj2k;
  if (s == "jpegls") return FrameCodec::jpegls;
  throw py::value_error(
      "codec must be \"deflate\", \"rle\", \"uncompressed\", \"native\", \"jpeg\", \"j2k\", "
      "\"htj2k\" or \"jpegls\", got \"" +
      s + "\"");
}

// What the image codecs need beyond the frame's size (FrameLayout), as the keyword arguments give it.
struct ImageOptions {
  py::ssize_t bits_stored = 0;
  bool is_signed = false, ybr = false, raw = false;
};

FrameLayout layout_arg(py::ssize_t rows, py::ssize_t columns, py::ssize_t spp, py::ssize_t bits, bool planar,
                       const std::string& segment_order, const ImageOptions& image = {}) {
  if (segment_order != ">" && segment_order != "<")
    throw py::value_error("segment_order must be '>' (conformant) or '<', got '" + segment_order + "'");
  FrameLayout f;
  f.rows = non_negative(rows, "rows");
  f.columns = non_negative(columns, "columns");
  f.samples_per_pixel = non_negative(spp, "samples_per_pixel");
  f.bits_allocated = non_negative(bits, "bits_allocated");
  f.planar = planar;
  f.segment_order = segment_order == ">" ? RleSegmentOrder::MsbFirst : RleSegmentOrder::LsbFirst;
  f.bits_stored = non_negative(image.bits_stored, "bits_stored");
  if (f.bits_stored > f.bits_allocated)
    throw py::value_error("bits_stored must not exceed bits_allocated, got " + std::to_string(f.bits_stored) + " > " +
                          std::to_string(f.bits_allocated));
  f.is_signed = image.is_signed;
  f.ybr = image.ybr;
  f.raw = image.raw;
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
                         std::string(py::str(raw.dtype())) +
                         (kind == 'O'   ? " (a value of 2**64 or more?)"
                          : kind == 'f' ? " (numpy makes a list that holds 2**63 or more float64: pass a uint64 array)"
                                        : ""));
  if (kind == 'i' && raw.size() && raw.attr("min")().cast<int64_t>() < 0)
    throw py::value_error(std::string(name) + " must not be negative");
  return U64::ensure(raw);
}

// The jobs of a list of frames: each frame's fragments (their offsets and lengths in `buf`, frame i's fragments
// [ff[i], ff[i+1]); without ff, fragment i is frame i) as spans into `buf`, checked to lie inside it.
struct Jobs {
  std::vector<ConstBytes> parts;
  std::vector<FrameJob> jobs;
};

Jobs build_jobs(ConstBytes buf, FrameCodec codec, const FrameLayout& layout, const uint64_t* offsets,
                const uint64_t* lengths, size_t nfragments, const uint64_t* ff, size_t nframes, const int64_t* frames,
                size_t njobs, bool extended) {
  const bool native_bits = codec == FrameCodec::native && layout.bits_allocated == 1;
  Jobs out;
  std::vector<size_t> first_part(njobs + 1);
  out.parts.reserve(njobs);
  for (size_t j = 0; j < njobs; ++j) {
    const int64_t fi = frames ? frames[j] : static_cast<int64_t>(j);
    if (fi < 0 || static_cast<uint64_t>(fi) >= nframes)
      throw std::invalid_argument("frame index " + std::to_string(fi) + " out of range for " + std::to_string(nframes) +
                                  " frames");
    const uint64_t f = static_cast<uint64_t>(fi);
    const uint64_t a = ff ? ff[f] : f, b = ff ? ff[f + 1] : f + 1;
    if (a > b || b > nfragments) throw std::invalid_argument("inconsistent frame table");
    if (extended) verify_extended_frames(buf, offsets, lengths, nframes, f, f + 1);
    first_part[j] = out.parts.size();
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
      out.parts.push_back({buf.data + off, static_cast<size_t>(len)});
    }
  }
  first_part[njobs] = out.parts.size();
  out.jobs.resize(njobs);
  for (size_t j = 0; j < njobs; ++j) {
    const int64_t fi = frames ? frames[j] : static_cast<int64_t>(j);
    FrameJob& job = out.jobs[j];
    job.frame = static_cast<uint64_t>(fi);
    job.parts = out.parts.data() + first_part[j];
    job.nparts = first_part[j + 1] - first_part[j];
    job.bit_offset = native_bits ? static_cast<uint8_t>(offsets[ff ? ff[fi] : fi] % 8) : 0;
  }
  return out;
}

// The frame table's arguments, checked: offsets and lengths per fragment, frame_fragments or None.
struct Table {
  U64 offsets, lengths, ff;
  size_t nframes = 0;
  bool has_ff = false;

  Table(const py::object& o, const py::object& l, const py::object& frame_fragments)
      : offsets(u64_arg(o, "offsets")), lengths(u64_arg(l, "lengths")) {
    if (offsets.size() != lengths.size()) throw py::value_error("offsets and lengths must have the same length");
    nframes = static_cast<size_t>(offsets.size());
    if (!frame_fragments.is_none()) {
      ff = u64_arg(frame_fragments, "frame_fragments");
      if (ff.size() < 1) throw py::value_error("frame_fragments needs number_of_frames + 1 entries");
      nframes = static_cast<size_t>(ff.size()) - 1;
      has_ff = true;
    }
  }
  Jobs jobs(ConstBytes buf, FrameCodec codec, const FrameLayout& layout, const int64_t* frames, size_t njobs,
            bool extended) const {
    return build_jobs(buf, codec, layout, offsets.data(), lengths.data(), static_cast<size_t>(offsets.size()),
                      has_ff ? ff.data() : nullptr, nframes, frames, njobs, extended);
  }
};

I64 index_arg(const py::object& o, const char* name) {
  I64 a = I64::ensure(o);
  if (!a || a.ndim() != 1) {
    PyErr_Clear();
    throw py::type_error(std::string(name) + " must be a one-dimensional array of frame indices");
  }
  return a;
}

// frame_numbers (None, or one per job): what messages call each job's frame when the table is a selection of a
// file's frames (a lazy table's, FrameTable._select), not its index in that table.
std::optional<I64> numbers_arg(const py::object& o, size_t njobs) {
  if (o.is_none()) return std::nullopt;
  I64 a = index_arg(o, "frame_numbers");
  if (static_cast<size_t>(a.size()) != njobs) throw py::value_error("frame_numbers must have one entry per frame read");
  return a;
}

void name_jobs(Jobs& jobs, const std::optional<I64>& numbers) {
  if (!numbers) return;
  for (size_t j = 0; j < jobs.jobs.size(); ++j) jobs.jobs[j].frame = static_cast<uint64_t>(numbers->data()[j]);
}

void py_decode_frames(const py::object& buffer, const std::string& codec_name, py::ssize_t rows, py::ssize_t columns,
                      py::ssize_t spp, py::ssize_t bits, const py::object& out, const py::object& offsets,
                      const py::object& lengths, const py::object& frame_fragments, const py::object& frames,
                      bool planar, const std::string& segment_order, bool extended, py::ssize_t threads,
                      const py::object& backend, py::ssize_t bits_stored, bool is_signed, bool ybr, bool raw,
                      const py::object& frame_numbers) {
  const FrameCodec codec = codec_arg(codec_name);
  const DeflateBackend inflate = inflate_backend_arg(backend, codec == FrameCodec::deflate);
  const FrameLayout layout =
      layout_arg(rows, columns, spp, bits, planar, segment_order, {bits_stored, is_signed, ybr, raw});
  Buffer in(buffer, "buffer");
  Buffer dst(out, "out", /*writable=*/true);
  const Table table(offsets, lengths, frame_fragments);
  I64 idx;
  size_t njobs = table.nframes;
  if (!frames.is_none()) {
    idx = index_arg(frames, "frames");
    njobs = static_cast<size_t>(idx.size());
  }
  const std::optional<I64> numbers = numbers_arg(frame_numbers, njobs);
  check_no_overlap(in.bytes(), dst.mut(), "the buffer");
  const size_t out_frame = output_frame_size(layout);
  const size_t need = njobs * out_frame;
  if (dst.size() != need)
    throw py::value_error("out must be exactly " + std::to_string(need) + " bytes for " + std::to_string(njobs) +
                          " frames, got " + std::to_string(dst.size()));
  const unsigned nthreads = static_cast<unsigned>(non_negative(threads, "threads"));
  py::gil_scoped_release nogil;
  Jobs jobs = table.jobs(in.bytes(), codec, layout, frames.is_none() ? nullptr : idx.data(), njobs, extended);
  name_jobs(jobs, numbers);
  for (size_t j = 0; j < njobs; ++j) jobs.jobs[j].out = dst.mut().data + j * out_frame;
  throw_first_failure(decode_frames(jobs.jobs.data(), njobs, codec, layout, inflate, nthreads));
}

// The engine's run_parallel on its own, for the tests: every task must run exactly once, on at most `threads`
// threads (one when the work is small), and a failing State constructor must reach the caller. The GIL stays
// held, so no two calls share the flag below.
bool pool_state_fails = false;
struct PoolTestState {
  PoolTestState() {
    if (pool_state_fails) throw std::runtime_error("the worker's state could not be made");
  }
};

py::tuple py_pool_run(size_t tasks, py::ssize_t threads, size_t work_bytes, bool fail) {
  const unsigned nthreads = static_cast<unsigned>(non_negative(threads, "threads"));
  std::vector<int> runs(tasks);
  std::vector<std::thread::id> by(tasks);
  pool_state_fails = fail;
  run_parallel<PoolTestState>(tasks, nthreads, work_bytes, [&](PoolTestState&, size_t i) {
    ++runs[i];
    by[i] = std::this_thread::get_id();
  });
  std::sort(by.begin(), by.end());
  py::list counts;
  for (int r : runs) counts.append(r);
  return py::make_tuple(counts, std::unique(by.begin(), by.end()) - by.begin());
}

// Whether any two targets share an output pixel (TILED_SPARSE tiles may overlap): a sweep over the targets
// sorted by their left edge, comparing each with those that start before it ends.
bool targets_overlap(const std::vector<FrameJob>& jobs, const std::vector<std::pair<size_t, size_t>>& places) {
  std::vector<size_t> order(jobs.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return places[a].first < places[b].first; });
  for (size_t i = 0; i < order.size(); ++i) {
    const size_t a = order[i];
    const size_t ax1 = places[a].first + jobs[a].target.out_width(), ay0 = places[a].second;
    const size_t ay1 = ay0 + jobs[a].target.out_height();
    for (size_t k = i + 1; k < order.size() && places[order[k]].first < ax1; ++k) {
      const size_t b = order[k], by0 = places[b].second, by1 = by0 + jobs[b].target.out_height();
      if (by0 < ay1 && ay0 < by1) return true;
    }
  }
  return false;
}

// A region of a tiled image: for each frame, the rectangle of it wanted (rects: x, y, width, height in the
// frame's full-resolution pixels) and where its pixels go in `out` (places: column, row in output pixels),
// decoded on the pool straight into out (out_rows x out_columns pixels), reduced by `scale`. Pixels no
// target covers are left as they are. Overlapping targets are decoded in the order given, on one thread, so
// the later frame wins.
void py_decode_region(const py::object& buffer, const std::string& codec_name, py::ssize_t rows, py::ssize_t columns,
                      py::ssize_t spp, py::ssize_t bits, const py::object& out, py::ssize_t out_rows,
                      py::ssize_t out_columns, const py::object& offsets, const py::object& lengths,
                      const py::object& frame_fragments, const py::object& frames, const py::object& rects,
                      const py::object& places, py::ssize_t scale, bool planar, const std::string& segment_order,
                      bool extended, py::ssize_t threads, const py::object& backend, py::ssize_t bits_stored,
                      bool is_signed, bool ybr, bool raw, const py::object& frame_numbers) {
  const FrameCodec codec = codec_arg(codec_name);
  const DeflateBackend inflate = inflate_backend_arg(backend, codec == FrameCodec::deflate);
  const FrameLayout layout =
      layout_arg(rows, columns, spp, bits, planar, segment_order, {bits_stored, is_signed, ybr, raw});
  Buffer in(buffer, "buffer");
  Buffer dst(out, "out", /*writable=*/true);
  const Table table(offsets, lengths, frame_fragments);
  I64 idx = index_arg(frames, "frames");
  const size_t njobs = static_cast<size_t>(idx.size());
  const std::optional<I64> numbers = numbers_arg(frame_numbers, njobs);
  I64 r = I64::ensure(rects), p = I64::ensure(places);
  if (!r || !p || r.ndim() != 2 || r.shape(1) != 4 || p.ndim() != 2 || p.shape(1) != 2 ||
      static_cast<size_t>(r.shape(0)) != njobs || static_cast<size_t>(p.shape(0)) != njobs) {
    PyErr_Clear();
    throw py::value_error("rects must be (n, 4) and places (n, 2) integer arrays for n frames");
  }
  const size_t ow = non_negative(out_columns, "out_columns"), oh = non_negative(out_rows, "out_rows");
  const size_t pixel = output_frame_size(layout) / (layout.rows * layout.columns);
  if (dst.size() != ow * oh * pixel)
    throw py::value_error("out must be exactly " + std::to_string(ow * oh * pixel) + " bytes for " +
                          std::to_string(oh) + " x " + std::to_string(ow) + " pixels, got " +
                          std::to_string(dst.size()));
  check_no_overlap(in.bytes(), dst.mut(), "the buffer");
  const unsigned s = static_cast<unsigned>(non_negative(scale, "scale"));
  unsigned nthreads = static_cast<unsigned>(non_negative(threads, "threads"));
  py::gil_scoped_release nogil;
  Jobs jobs = table.jobs(in.bytes(), codec, layout, idx.data(), njobs, extended);
  name_jobs(jobs, numbers);
  std::vector<std::pair<size_t, size_t>> where(njobs);
  for (size_t j = 0; j < njobs; ++j) {
    const int64_t* rj = r.data(j, 0);
    const int64_t* pj = p.data(j, 0);
    FrameJob& job = jobs.jobs[j];
    if (rj[0] < 0 || rj[1] < 0 || rj[2] < 0 || rj[3] < 0 || pj[0] < 0 || pj[1] < 0)
      throw std::invalid_argument("frame " + std::to_string(job.frame) + ": negative rectangle or place");
    job.region = true;
    ImageTarget& t = job.target;
    t.x = static_cast<size_t>(rj[0]);
    t.y = static_cast<size_t>(rj[1]);
    t.width = static_cast<size_t>(rj[2]);
    t.height = static_cast<size_t>(rj[3]);
    t.scale = s;
    check_region(job, layout);
    const size_t px = static_cast<size_t>(pj[0]), py_ = static_cast<size_t>(pj[1]);
    if (px > ow || t.out_width() > ow - px || py_ > oh || t.out_height() > oh - py_)
      throw std::invalid_argument("frame " + std::to_string(job.frame) + ": its pixels do not fit the region");
    t.stride = ow * pixel;
    t.out = dst.mut().data + (py_ * ow + px) * pixel;
    where[j] = {px, py_};
  }
  if (targets_overlap(jobs.jobs, where)) nthreads = 1;  // in order: the later frame wins, as one thread writes
  throw_first_failure(decode_frames(jobs.jobs.data(), njobs, codec, layout, inflate, nthreads));
}

// One frame on the calling thread, through the engine's decoder (one per thread, kept between calls).
py::object py_decode_frame(const py::object& data, const std::string& codec_name, py::ssize_t rows, py::ssize_t columns,
                           py::ssize_t spp, py::ssize_t bits, const py::object& out, bool planar,
                           const std::string& segment_order, py::ssize_t bit_offset, const py::object& backend,
                           py::ssize_t bits_stored, bool is_signed, bool ybr, bool raw) {
  const FrameCodec codec = codec_arg(codec_name);
  const DeflateBackend inflate = inflate_backend_arg(backend, codec == FrameCodec::deflate);
  const FrameLayout layout =
      layout_arg(rows, columns, spp, bits, planar, segment_order, {bits_stored, is_signed, ybr, raw});
  if (codec == FrameCodec::rle)
    rle_check_frame({layout.rows, layout.columns, layout.samples_per_pixel, layout.bits_allocated});
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
  if (image_codec(codec))
    throw py::value_error("codec must be \"deflate\", \"rle\" or \"uncompressed\" to encode: framecodec has no \"" +
                          codec_name + "\" encoder");
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
        py::arg("samples_per_pixel"), py::arg("bits_allocated"), py::arg("out") = py::none(), py::arg("planar") = false,
        py::arg("segment_order") = ">", py::arg("bit_offset") = 0, py::arg("backend") = py::none(),
        py::arg("bits_stored") = 0, py::arg("signed") = false, py::arg("ybr") = false, py::arg("raw") = false,
        "Decode one frame as the batch engine does: interleaved little-endian samples, one byte per pixel for "
        "bits allocated 1.");
  m.def("_decode_frames", &py_decode_frames, py::arg("buffer"), py::arg("codec"), py::arg("rows"), py::arg("columns"),
        py::arg("samples_per_pixel"), py::arg("bits_allocated"), py::arg("out"), py::arg("offsets"), py::arg("lengths"),
        py::arg("frame_fragments") = py::none(), py::arg("frames") = py::none(), py::arg("planar") = false,
        py::arg("segment_order") = ">", py::arg("extended") = false, py::arg("threads") = 0,
        py::arg("backend") = py::none(), py::arg("bits_stored") = 0, py::arg("signed") = false, py::arg("ybr") = false,
        py::arg("raw") = false, py::arg("frame_numbers") = py::none(),
        "Decode a list of frames into one output buffer on the worker pool; framecodec's pixel_array wraps it.");
  m.def("_decode_region", &py_decode_region, py::arg("buffer"), py::arg("codec"), py::arg("rows"), py::arg("columns"),
        py::arg("samples_per_pixel"), py::arg("bits_allocated"), py::arg("out"), py::arg("out_rows"),
        py::arg("out_columns"), py::arg("offsets"), py::arg("lengths"), py::arg("frame_fragments"), py::arg("frames"),
        py::arg("rects"), py::arg("places"), py::arg("scale") = 1, py::arg("planar") = false,
        py::arg("segment_order") = ">", py::arg("extended") = false, py::arg("threads") = 0,
        py::arg("backend") = py::none(), py::arg("bits_stored") = 0, py::arg("signed") = false, py::arg("ybr") = false,
        py::arg("raw") = false, py::arg("frame_numbers") = py::none(),
        "Decode the given rectangles of frames straight into one region buffer on the worker pool, reduced by "
        "scale; FrameReader.read_region wraps it.");
  m.def(
      "_codec_library", [](const std::string& codec) { return codec_library(codec_arg(codec)); }, py::arg("codec"),
      "The library this build decodes an image codec with, e.g. \"libjpeg-turbo 2.1.5\"; \"\" when built "
      "without it.");
  m.def("_encode_frames", &py_encode_frames, py::arg("pixels"), py::arg("number_of_frames"), py::arg("codec"),
        py::arg("rows"), py::arg("columns"), py::arg("samples_per_pixel"), py::arg("bits_allocated"),
        py::arg("level") = 6, py::arg("offset_table") = "auto", py::arg("threads") = 0, py::arg("backend") = py::none(),
        "Encode every frame on the worker pool and encapsulate them; framecodec.compress wraps it.");
  m.def("_pool_run", &py_pool_run, py::arg("tasks"), py::arg("threads"), py::arg("work_bytes"), py::arg("fail") = false,
        "For the tests: run_parallel over `tasks` tasks that each record their thread; returns how many times each "
        "task ran and how many threads ran tasks. fail: every worker's state constructor throws RuntimeError.");
  m.def(
      "default_threads", [] { return worker_count(0, SIZE_MAX); },
      "The number of workers threads=None gives: one per core.");
}

}  // namespace framecodec::bindings
