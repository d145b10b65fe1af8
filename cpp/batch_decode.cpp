#include "batch_decode.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <stdexcept>

#include "bitpack.h"
#include "deflate.h"
#include "errors.h"
#include "region.h"
#include "thread_pool.h"

namespace framecodec {
namespace {

constexpr size_t kWindow = 32 << 10;  // per-worker inflate window: stays in L1/L2 while it is unpacked

size_t checked_mul(size_t a, size_t b) {
  size_t r;
  if (__builtin_mul_overflow(a, b, &r) || r > static_cast<size_t>(PTRDIFF_MAX))
    throw std::invalid_argument("the frame is too large to address");
  return r;
}

size_t pixels(const FrameLayout& f) { return checked_mul(checked_mul(f.rows, f.columns), f.samples_per_pixel); }
size_t bytes_per_sample(const FrameLayout& f) { return f.bits_allocated == 1 ? 1 : f.bits_allocated / 8; }

// Where decoded stream bytes go: the stored frame (packed bits, planes or interleaved samples) at stream
// position `pos` becomes output pixels.
struct FrameWriter {
  const FrameLayout& f;
  uint8_t* out;
  size_t out_size;
  size_t plane_size;  // planar input: the bytes of one sample's plane

  FrameWriter(const FrameLayout& layout, uint8_t* o)
      : f(layout), out(o), out_size(output_frame_size(layout)),
        plane_size(checked_mul(f.rows * f.columns, bytes_per_sample(f))) {}

  // Whether the stream can be written straight into the output with no layout change.
  bool direct() const { return f.bits_allocated != 1 && !(f.planar && f.samples_per_pixel > 1); }

  void write(size_t pos, const uint8_t* data, size_t n) {
    if (f.bits_allocated == 1) {  // PS3.5 8.1.1: pixel i is bit i % 8 of byte i / 8, each frame byte-aligned
      const size_t first = pos * 8;
      if (first >= out_size) return;
      const size_t count = std::min(n * 8, out_size - first);
      unpack_bits({data, packed_size(count)}, 0, {out + first, count});
    } else if (direct()) {
      std::memcpy(out + pos, data, n);
    } else {  // planar configuration 1 (PS3.3 C.7.6.3.1.3): sample j's plane, then the next
      const size_t bps = bytes_per_sample(f), spp = f.samples_per_pixel;
      while (n) {
        const size_t j = pos / plane_size, e = pos % plane_size;
        const size_t run = std::min(n, plane_size - e);
        if (bps == 1) {
          uint8_t* o = out + e * spp + j;
          for (size_t t = 0; t < run; ++t) o[t * spp] = data[t];
        } else {
          for (size_t t = 0; t < run; ++t) out[((e + t) / bps * spp + j) * bps + (e + t) % bps] = data[t];
        }
        pos += run;
        data += run;
        n -= run;
      }
    }
  }
  static void sink(void* self, size_t pos, const uint8_t* data, size_t n) {
    static_cast<FrameWriter*>(self)->write(pos, data, n);
  }
};

size_t total_size(const FrameJob& job) {
  size_t n = 0;
  for (size_t i = 0; i < job.nparts; ++i) n += job.parts[i].size;
  return n;
}

// A frame's data as one span: its only fragment, or all of them copied one after another into `joined`.
// PS3.5 A.4: a frame may span fragments (RLE's segment offsets count across them; Deflated Image Frame
// Compression has one fragment per frame, A.4.13, but a split stream is read too).
ConstBytes one_span(std::vector<uint8_t>& joined, const FrameJob& job) {
  if (job.nparts == 1) return job.parts[0];
  joined.resize(total_size(job));
  size_t at = 0;
  for (size_t i = 0; i < job.nparts; ++i) {
    if (job.parts[i].size) std::memcpy(joined.data() + at, job.parts[i].data, job.parts[i].size);
    at += job.parts[i].size;
  }
  return {joined.data(), joined.size()};
}

// The most a raw deflate stream of n bytes can decode to. A length/distance pair copies at most 258 bytes
// (RFC 1951 3.2.5), and a dynamic Huffman block can code one in 2 bits (a 1-bit length code and a 1-bit distance
// code): 129 bytes per input bit, 1032 per byte. Block headers, literals and the end-of-block code only cost
// input, so 1032 x n bounds every stream; one more copy (258) covers rounding. Checked before anything is
// allocated or decoded: a header's Rows x Columns is a claim, the stream's length is what the file holds.
constexpr size_t kDeflateMaxRatio = 1032;
size_t max_inflated(size_t n) {
  size_t r;
  if (__builtin_mul_overflow(n, kDeflateMaxRatio, &r) || __builtin_add_overflow(r, size_t{258}, &r)) return SIZE_MAX;
  return r;
}

// The most an RLE frame of n bytes can decode to (PS3.5 G.3.1): a replicate run of 2 bytes gives 128 bytes, so
// each segment at most 64 times its length, after the 64-byte header.
constexpr size_t kRleHeader = 64, kRleMaxRatio = 64;
size_t max_unrolled(size_t n) {
  size_t r;
  if (n <= kRleHeader) return 0;
  if (__builtin_mul_overflow(n - kRleHeader, kRleMaxRatio, &r)) return SIZE_MAX;
  return r;
}

// Refuses a deflate or RLE frame whose data cannot hold what the data set says the frame is, before any scratch
// buffer is sized from that claim (a 16-byte stream claiming gigabytes would otherwise cost that much per worker).
void check_claim(const FrameJob& job, FrameCodec codec, const FrameLayout& f) {
  if (codec != FrameCodec::deflate && codec != FrameCodec::rle) return;
  const size_t have = total_size(job), need = stored_frame_size(f);
  if (codec == FrameCodec::rle && have < kRleHeader) return;  // rle_decode names the short header
  const bool deflate = codec == FrameCodec::deflate;
  const size_t most = deflate ? max_inflated(have) : max_unrolled(have);
  if (need <= most) return;
  throw DecodeError(std::string("its ") + std::to_string(have) + " bytes of " + (deflate ? "deflate" : "RLE") +
                    " data can decode to at most " + std::to_string(most) + " bytes (" +
                    (deflate ? "raw deflate expands at most 1032:1" : "RLE expands at most 64:1 after its header") +
                    "), but the data set claims " + std::to_string(need) +
                    " bytes per frame (rows x columns x samples x bits allocated): refused before decoding");
}

void decode_deflate_zlib(Inflater& inflater, std::vector<uint8_t>& window, const FrameJob& job, const FrameLayout& f) {
  FrameWriter out(f, job.out);
  const size_t size = stored_frame_size(f);
  if (out.direct()) return inflater.decompress(job.parts, job.nparts, size, {job.out, size});
  if (window.empty()) window.resize(kWindow);
  inflater.decompress(job.parts, job.nparts, size, {window.data(), window.size()}, &FrameWriter::sink, &out);
}

// libdeflate decodes whole buffers only. Ordinary frames go straight into the output; 1-bit and planar frames
// are decoded whole into `stored` (for 1-bit frames 1/8 of the output, so it stays in cache) and handed to the
// FrameWriter in one piece. A frame in several fragments is joined first: copying the compressed bytes costs
// a few percent of inflating them, and every frame then takes the same path (such frames break A.4.13 anyway).
// `stored` is sized only after check_claim, and never zero-filled: libdeflate touches only the pages it writes.
void decode_deflate_libdeflate(FrameInflater& inflater, std::vector<uint8_t>& joined, Scratch& stored,
                               const FrameJob& job, const FrameLayout& f) {
  FrameWriter out(f, job.out);
  const size_t size = stored_frame_size(f);
  const ConstBytes in = one_span(joined, job);
  if (out.direct()) return inflater.libdeflate().decompress(in, {job.out, size}, inflater.zlib());
  uint8_t* buf = stored.get(size);
  inflater.libdeflate().decompress(in, {buf, size}, inflater.zlib());
  out.write(0, buf, size);
}

void decode_rle(std::vector<uint8_t>& joined, const FrameJob& job, const FrameLayout& f) {
  const RleFrame rf{f.rows, f.columns, f.samples_per_pixel, f.bits_allocated};
  rle_decode(one_span(joined, job), rf, f.segment_order, /*planar=*/false, {job.out, output_frame_size(f)});
}

// Encapsulated Uncompressed and native frames: the stored bytes themselves.
void decode_stored(const FrameJob& job, const FrameLayout& f, bool encapsulated) {
  const size_t size = stored_frame_size(f);
  if (!encapsulated && f.bits_allocated == 1) {  // native 1-bit frames need not start on a byte boundary
    if (job.nparts != 1 || job.parts[0].size < packed_size(job.bit_offset + pixels(f)))
      throw EncapsulationError("the native Pixel Data ends inside this frame");
    unpack_bits(job.parts[0], job.bit_offset, {job.out, output_frame_size(f)});
    return;
  }
  const size_t have = total_size(job);
  // An encapsulated fragment is padded to even length with one byte (PS3.5 A.4).
  const bool padded = encapsulated && size % 2 == 1 && have == size + 1;
  if (have != size && !padded)
    throw DecodeError(std::string(encapsulated ? "the fragments hold " : "the native Pixel Data holds ") +
                      std::to_string(have) + " bytes, expected " + std::to_string(size) + " (rows x columns x " +
                      "samples x bits allocated of the data set)");
  FrameWriter out(f, job.out);
  size_t pos = 0;
  for (size_t i = 0; i < job.nparts && pos < size; ++i) {
    const size_t n = std::min(job.parts[i].size, size - pos);
    out.write(pos, job.parts[i].data, n);
    pos += n;
  }
}

}  // namespace

namespace {

template <class Decoder>
Decoder& made(std::unique_ptr<Decoder>& d) {
  if (!d) d.reset(new Decoder());
  return *d;
}

bool have_openjph() {
  static const bool have = !htj2k_library().empty();
  return have;
}

}  // namespace

ImageFrame image_frame(const FrameLayout& f) {
  ImageFrame i;
  i.rows = f.rows;
  i.columns = f.columns;
  i.samples = f.samples_per_pixel;
  i.bits_allocated = f.bits_allocated;
  i.bits_stored = f.bits_stored ? f.bits_stored : f.bits_allocated;
  i.is_signed = f.is_signed;
  i.ybr = f.ybr;
  i.raw = f.raw;
  return i;
}

std::string codec_library(FrameCodec codec) {
  switch (codec) {
    case FrameCodec::jpeg: return jpeg_library();
    case FrameCodec::j2k: return j2k_library();
    case FrameCodec::htj2k: return have_openjph() ? htj2k_library() : j2k_library();
    case FrameCodec::jpegls: return jpegls_library();
    default: return "framecodec";
  }
}

void FrameDecoder::decode_image(const FrameJob& job, FrameCodec codec, const FrameLayout& layout,
                                const ImageTarget* target) {
  const ImageFrame f = image_frame(layout);
  const ImageTarget t = target ? *target : whole_frame(f, job.out);
  // PS3.5 A.4 / Annex F: a frame may span several fragments; the codecs read one codestream.
  const ConstBytes in = one_span(joined_, job);
  switch (codec) {
    case FrameCodec::jpeg: return made(jpeg_).decode(in, f, t);
    case FrameCodec::j2k: return made(j2k_).decode(in, f, t);
    case FrameCodec::htj2k:  // OpenJPEG 2.5 decodes HTJ2K too, more slowly: the fallback without OpenJPH,
      if (have_openjph()) {  // and for codestreams OpenJPH 0.9 would misread
        try {
          return made(htj2k_).decode(in, f, t);
        } catch (const Unsupported&) {
          if (j2k_library().empty()) throw;
        }
      }
      return made(j2k_).decode(in, f, t);
    case FrameCodec::jpegls: return made(jpegls_).decode(in, f, t);
    default: throw std::logic_error("not an image codec");
  }
}

bool FrameDecoder::decodes_target(FrameCodec codec, const FrameLayout& layout, const ImageTarget& t) {
  const ImageFrame f = image_frame(layout);
  switch (codec) {
    case FrameCodec::jpeg: return made(jpeg_).supports(f, t);
    case FrameCodec::j2k: return made(j2k_).supports(f, t);
    case FrameCodec::htj2k: return have_openjph() ? made(htj2k_).supports(f, t) : made(j2k_).supports(f, t);
    case FrameCodec::jpegls: return made(jpegls_).supports(f, t);
    default: return false;
  }
}

void FrameDecoder::decode(const FrameJob& job, FrameCodec codec, const FrameLayout& layout, DeflateBackend inflate) {
  check_claim(job, codec, layout);
  if (!job.region) return decode_whole(job, codec, layout, inflate);
  if (decodes_target(codec, layout, job.target)) return decode_image(job, codec, layout, &job.target);
  // The whole frame into the scratch buffer (not zero-filled: a frame that fails early touches none of it),
  // then the target's part of it.
  FrameJob whole = job;
  whole.region = false;
  whole.out = whole_.get(output_frame_size(layout));
  decode_whole(whole, codec, layout, inflate);
  copy_region(whole.out, layout.columns, layout.samples_per_pixel, bytes_per_sample(layout), layout.is_signed,
              job.target);
}

void FrameDecoder::decode_whole(const FrameJob& job, FrameCodec codec, const FrameLayout& layout,
                                DeflateBackend inflate) {
  switch (codec) {
    case FrameCodec::deflate:
      if (inflate == DeflateBackend::libdeflate)
        return decode_deflate_libdeflate(inflater_, joined_, stored_, job, layout);
      return decode_deflate_zlib(inflater_.zlib(), window_, job, layout);
    case FrameCodec::rle: return decode_rle(joined_, job, layout);
    case FrameCodec::uncompressed: return decode_stored(job, layout, true);
    case FrameCodec::native: return decode_stored(job, layout, false);
    default: return decode_image(job, codec, layout, nullptr);
  }
}

void check_region(const FrameJob& job, const FrameLayout& layout) {
  const ImageTarget& t = job.target;
  if (t.scale != 1 && t.scale != 2 && t.scale != 4 && t.scale != 8)
    throw std::invalid_argument("the scale must be 1, 2, 4 or 8, got " + std::to_string(t.scale));
  if (t.width == 0 || t.height == 0 || t.x > layout.columns || t.width > layout.columns - t.x || t.y > layout.rows ||
      t.height > layout.rows - t.y)
    throw std::invalid_argument("frame " + std::to_string(job.frame) + ": the rectangle " + std::to_string(t.width) +
                                " x " + std::to_string(t.height) + " at (" + std::to_string(t.x) + ", " +
                                std::to_string(t.y) + ") is not inside its " + std::to_string(layout.columns) + " x " +
                                std::to_string(layout.rows) + " pixels");
  if (t.x % t.scale || t.y % t.scale)
    throw std::invalid_argument("frame " + std::to_string(job.frame) +
                                ": the rectangle's corner must be a multiple "
                                "of the scale");
}

void check_layout(const FrameLayout& f) {
  if (f.rows == 0 || f.columns == 0)
    throw std::invalid_argument("rows and columns must be at least 1, got " + std::to_string(f.rows) + " x " +
                                std::to_string(f.columns));
  if (f.samples_per_pixel == 0) throw std::invalid_argument("samples per pixel must be at least 1, got 0");
  const size_t b = f.bits_allocated;
  if (b == 0 || b > 64 || (b != 1 && b % 8))
    throw std::invalid_argument("bits allocated must be 1 or a multiple of 8 up to 64, got " + std::to_string(b));
  if (b == 1 && f.samples_per_pixel != 1)
    throw std::invalid_argument("bits allocated 1 needs samples per pixel 1, got " +
                                std::to_string(f.samples_per_pixel));
  checked_mul(pixels(f), bytes_per_sample(f));
}

size_t stored_frame_size(const FrameLayout& f) {
  return f.bits_allocated == 1 ? packed_size(pixels(f)) : checked_mul(pixels(f), bytes_per_sample(f));
}

size_t output_frame_size(const FrameLayout& f) { return checked_mul(pixels(f), bytes_per_sample(f)); }

size_t decode_work(size_t n, FrameCodec codec, const FrameLayout& layout) {
  // inline_work_bytes was set on deflate files; a decoded byte costs less for the memory-bound decoders (a copy,
  // RLE at several GB/s, 1-bit frames whose every stored byte is 8 decoded ones), so they run inline up to 8 times
  // the bytes, and more for the image codecs (0.03-0.3 GB/s against inflate's 0.3-1), so they use the pool from a
  // quarter of them. Measured on a loaded 2-core machine (issue 21), with 1 MB for all: threads=None lost to
  // threads=1 by 5-10% on 10-frame RLE CT (5 MB) and native CT files, where the caller, done with its share,
  // waits for a worker that holds the last frame and no core; 8 MB is where threads=2 began to win on RLE.
  const size_t frame = output_frame_size(layout);  // a region still decodes most of its frame
  const size_t bytes = n > SIZE_MAX / frame ? SIZE_MAX : n * frame;
  if (codec == FrameCodec::native || codec == FrameCodec::uncompressed || codec == FrameCodec::rle ||
      layout.bits_allocated == 1)
    return bytes / 8;
  if (image_codec(codec)) return bytes > SIZE_MAX / 4 ? SIZE_MAX : bytes * 4;
  return bytes;
}

std::vector<FrameFailure> decode_frames(const FrameJob* jobs, size_t n, FrameCodec codec, const FrameLayout& layout,
                                        DeflateBackend inflate, unsigned threads) {
  check_layout(layout);
  if (codec == FrameCodec::rle)
    rle_check_frame({layout.rows, layout.columns, layout.samples_per_pixel, layout.bits_allocated});
  if (codec == FrameCodec::deflate) check_backend(inflate);
  std::vector<FrameFailure> failures;
  std::mutex failures_lock;
  auto fail = [&](const FrameJob& job, FrameFailure::Kind kind, const char* what) {
    std::lock_guard<std::mutex> hold(failures_lock);
    failures.push_back({job.frame, kind, what});
  };
  run_parallel<FrameDecoder>(n, threads, decode_work(n, codec, layout), [&](FrameDecoder& decoder, size_t i) {
    const FrameJob& job = jobs[i];
    try {
      decoder.decode(job, codec, layout, inflate);
    } catch (const DecodeError& e) {
      fail(job, FrameFailure::decode, e.what());
    } catch (const EncapsulationError& e) {
      fail(job, FrameFailure::encapsulation, e.what());
    } catch (const std::invalid_argument& e) {
      fail(job, FrameFailure::argument, e.what());
    }
  });
  std::sort(failures.begin(), failures.end(),
            [](const FrameFailure& a, const FrameFailure& b) { return a.frame < b.frame; });
  return failures;
}

void throw_first_failure(const std::vector<FrameFailure>& failures) {
  if (failures.empty()) return;
  const FrameFailure& f = failures.front();
  std::string msg = "frame " + std::to_string(f.frame) + ": " + f.message;
  if (failures.size() > 1)
    msg += " (" + std::to_string(failures.size() - 1) + " more frame" + (failures.size() > 2 ? "s" : "") +
           " failed, the next is frame " + std::to_string(failures[1].frame) + ")";
  switch (f.kind) {
    case FrameFailure::decode: throw DecodeError(msg);
    case FrameFailure::encapsulation: throw EncapsulationError(msg);
    case FrameFailure::argument: throw std::invalid_argument(msg);
  }
}

}  // namespace framecodec
