// HTJ2K (PS3.5 8.2.14: .201, .202 RPCL, .203; ISO 15444-15) with OpenJPH 0.9.0.
//
// OpenJPH 0.9.0 trusts the codestream's structure: it indexes arrays with tile indexes and QCC counts taken from
// it, shifts by quantization exponents unchecked, skips marker segments it does not implement (COC, RGN, POC,
// PPM/PPT, tile-part COD/QCD: the pixels would silently come out wrong), misreads the packets after a precinct
// without code-blocks, fills whatever a truncated tile-part lacks with zeros, and (as Debian builds it, with
// assertions) aborts the process on a marker code inside a code-block. So the codestream is walked first
// (htj2k_codestream.cpp), marker by marker (ISO 15444-1 A.4-A.6): SIZ against the data set, COD / QCD / QCC within what
// OpenJPH reads correctly, every tile-part inside the buffer and free of marker codes, every tile present, EOC at the
// end. Nothing is allocated from the codestream's claims before that walk has passed. What OpenJPH 0.9.0 would decode
// wrongly is refused with std::invalid_argument (OpenJPEG decodes it); what is broken, with DecodeError.
//
// OpenJPH then reads the codestream from memory where it lies and hands out the image line by line, components
// interleaved (set_planar(false)) with the inverse RCT / ICT applied, so YBR_RCT / YBR_ICT frames come out RGB as
// with pylibjpeg-openjpeg. A crop pulls lines only down to its last row; a reduced scale skips resolution levels
// (restrict_input_resolution: the image at 1 / 2^r, ISO 15444-1 B.5). Each row goes straight into the target
// with pydicom's J2K corrections. A scale the codestream cannot give natively (too few decomposition levels, an
// image offset that is not a multiple of the scale, a rectangle whose blocks would run past it) is decoded at full
// resolution into scratch and area-averaged by the engine's region code.
//
// An ojph::codestream reads one codestream only (its allocator allocates once), so each frame makes a new one; the
// scratch buffers here persist from frame to frame.
#include "htj2k_decode.h"

#include <stdexcept>

#include "errors.h"

#ifdef FRAMECODEC_HAVE_OPENJPH
#include <openjph/ojph_arch.h>
#include <openjph/ojph_codestream.h>
#include <openjph/ojph_file.h>
#include <openjph/ojph_mem.h>
#include <openjph/ojph_message.h>
#include <openjph/ojph_version.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "htj2k_codestream.h"
#include "region.h"
#endif

namespace framecodec {

#ifdef FRAMECODEC_HAVE_OPENJPH

namespace {

// ---- OpenJPH's messages ----------------------------------------------------------------------------------------

// OpenJPH prints info and warnings to stdout and errors to stderr, then throws std::runtime_error("ojph error").
// Its configure_error() cannot install a handler (0.9.0 assigns through a base-class reference: the vtable stays),
// so the streams are replaced instead, once per process: info and warnings go nowhere, an error's text into the
// calling thread's buffer (an unbuffered stream calls its writer on the thread that printed), for DecodeError.
// This silences OpenJPH for anything else in the process that uses the same shared library.
thread_local std::string ojph_error;

#ifdef __GLIBC__
ssize_t keep_error(void*, const char* buf, size_t n) {
  if (ojph_error.size() < 400) ojph_error.append(buf, std::min<size_t>(n, 400));
  return static_cast<ssize_t>(n);
}
ssize_t drop(void*, const char*, size_t n) { return static_cast<ssize_t>(n); }
#endif

void quiet_openjph() {
  static std::once_flag once;
  std::call_once(once, [] {
    FILE *quiet = nullptr, *error = nullptr;
#ifdef __GLIBC__
    quiet = fopencookie(nullptr, "w", cookie_io_functions_t{nullptr, drop, nullptr, nullptr});
    error = fopencookie(nullptr, "w", cookie_io_functions_t{nullptr, keep_error, nullptr, nullptr});
    if (error) std::setvbuf(error, nullptr, _IONBF, 0);
#endif
    if (!quiet) quiet = std::fopen("/dev/null", "w");
    if (!error) error = quiet;
    if (quiet) {
      ojph::set_info_stream(quiet);
      ojph::set_warning_stream(quiet);
      ojph::set_error_stream(error);
    }
    // A codestream's constructor picks OpenJPH's SIMD functions into globals without a lock: do it here, once,
    // before worker threads construct theirs.
    ojph::codestream warm;
  });
}

// "ojph error 0x00030092 at ojph_codestream.cpp:1898: error reading from file p3\n" -> the part after the place.
std::string openjph_says() {
  std::string s = ojph_error;
  const size_t at = s.find(" at ");
  const size_t colon = at == std::string::npos ? at : s.find(": ", at);
  if (colon != std::string::npos) s.erase(0, colon + 2);
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s.empty() ? "OpenJPH could not decode the codestream" : "OpenJPH: " + s;
}

// One output row from one decoded row: each component clamped to its range as OpenJPEG does, then pydicom's J2K
// corrections (_apply_j2k_corrections): the low p bits, p = min(precision of component 0, Bits Stored), sign-
// or zero-extended by Pixel Representation (when p fills the container this is the same as truncating to it).
// NC, the samples per pixel when 1 or 3 (0: any), fixes the output stride so that the loops vectorize.
template <class T, bool Signed, size_t NC>
void put_row(const int32_t* const* lines, const Htj2kRange* range, size_t nc, size_t x0, size_t count, unsigned shift,
             uint8_t* out) {
  if (NC) nc = NC;
  for (size_t c = 0; c < nc; ++c) {
    const int32_t* in = lines[c] + x0;
    const int32_t lo = range[c].lo, hi = range[c].hi;
    uint8_t* o = out + c * sizeof(T);
    for (size_t i = 0; i < count; ++i) {
      const uint32_t v = static_cast<uint32_t>(std::min(std::max(in[i], lo), hi)) << shift;
      const T t = static_cast<T>(Signed ? static_cast<int32_t>(v) >> shift : v >> shift);
      std::memcpy(o + i * nc * sizeof(T), &t, sizeof t);
    }
  }
}

template <class T>
void put_row(const int32_t* const* lines, const std::vector<Htj2kRange>& range, size_t x0, size_t count, unsigned shift,
             bool sgn, uint8_t* out) {
  const size_t nc = range.size();
  const auto put = nc == 1   ? (sgn ? put_row<T, true, 1> : put_row<T, false, 1>)
                   : nc == 3 ? (sgn ? put_row<T, true, 3> : put_row<T, false, 3>)
                             : (sgn ? put_row<T, true, 0> : put_row<T, false, 0>);
  put(lines, range.data(), nc, x0, count, shift, out);
}

}  // namespace

struct Htj2kDecoder::State {
  Htj2kWalk codestream;               // the walk's tables; its sample ranges
  std::vector<const int32_t*> lines;  // the current row, one line per component
  std::vector<uint8_t> patched;       // a copy of a codestream with Psot 0, given its real length
  std::vector<uint8_t> scratch;       // full-resolution rows for an area-averaged scale
};

std::string htj2k_library() {
  return "OpenJPH " + std::to_string(OPENJPH_VERSION_MAJOR) + "." + std::to_string(OPENJPH_VERSION_MINOR) + "." +
         std::to_string(OPENJPH_VERSION_PATCH);
}

Htj2kDecoder::Htj2kDecoder() : state_(new State) { quiet_openjph(); }
Htj2kDecoder::~Htj2kDecoder() = default;

bool Htj2kDecoder::supports(const ImageFrame& f, const ImageTarget& t) const {
  const size_t s = t.scale;
  if (s == 1) return true;
  if (s != 2 && s != 4 && s != 8) return false;
  // A resolution level's pixel is a whole s x s block of the full grid: the rectangle must be made of them.
  return t.x % s == 0 && t.y % s == 0 && (t.width % s == 0 || t.x + t.width == f.columns) &&
         (t.height % s == 0 || t.y + t.height == f.rows);
}

void Htj2kDecoder::decode(ConstBytes in, const ImageFrame& f, const ImageTarget& t) {
  if (!f.rows || !f.columns || !f.samples ||
      (f.bits_allocated != 8 && f.bits_allocated != 16 && f.bits_allocated != 32) || !f.bits_stored ||
      f.bits_stored > f.bits_allocated)
    throw std::invalid_argument(
        "HTJ2K: the frame needs rows, columns, samples, Bits Allocated 8, 16 or 32 and "
        "Bits Stored within it");
  if ((t.scale != 1 && t.scale != 2 && t.scale != 4 && t.scale != 8) || !t.width || !t.height ||
      t.x + t.width > f.columns || t.y + t.height > f.rows || t.x % t.scale || t.y % t.scale)
    throw std::invalid_argument("HTJ2K: the target rectangle is not inside the frame or its scale is not 1, 2, 4, 8");
  State& s = *state_;
  const Htj2kHeader h = s.codestream.walk(in, f);
  unsigned skip = 0;
  while ((1u << skip) < t.scale) ++skip;
  const bool native =
      t.scale == 1 || (skip <= h.levels && h.x0 % t.scale == 0 && h.y0 % t.scale == 0 && supports(f, t));
  const unsigned scale = native ? t.scale : 1;
  // The rows and columns to pull: of the reduced image natively, else of the full one into scratch.
  const size_t x0 = t.x / scale, y0 = t.y / scale;
  const size_t w = native ? t.out_width() : t.width, rows = native ? t.out_height() : t.height;
  const size_t bytes = f.bits_allocated / 8, pixel = f.samples * bytes;
  uint8_t* out = t.out;
  size_t stride = t.stride;
  if (!native) {
    s.scratch.resize(w * rows * pixel);
    out = s.scratch.data(), stride = w * pixel;
  }
  if (h.psot) {  // OpenJPH 0.9.0 misreads Psot 0 (its tile-part length underflows): decode a copy that says it
    s.patched.assign(in.data, in.data + in.size);
    for (int i = 0; i < 4; ++i) s.patched[h.psot_at + i] = static_cast<uint8_t>(h.psot >> (24 - 8 * i));
    in = ConstBytes{s.patched.data(), s.patched.size()};
  }
  const unsigned depth0 = (in.data[42] & 0x7Fu) + 1;  // component 0's precision: pydicom's j2k_precision
  const unsigned shift = 32 - static_cast<unsigned>(std::min<size_t>(depth0, f.bits_stored));
  s.lines.resize(f.samples);

  ojph_error.clear();
  ojph::mem_infile file;
  file.open(in.data, in.size);
  try {
    ojph::codestream cs;
    cs.read_headers(&file);
    if (skip && native) cs.restrict_input_resolution(skip, skip);
    cs.set_planar(false);
    cs.create();
    for (size_t row = 0; row < y0 + rows; ++row) {
      for (size_t c = 0; c < f.samples; ++c) {
        ojph::ui32 comp = 0;
        const ojph::line_buf* line = cs.pull(comp);
        if (!line || comp != c || line->size < x0 + w)
          throw DecodeError("corrupt HTJ2K codestream: OpenJPH gave an unexpected line");
        s.lines[c] = line->i32;
      }
      if (row < y0) continue;  // above the crop: decoded only because the wavelet needs it
      uint8_t* o = out + (row - y0) * stride;
      switch (bytes) {
        case 1: put_row<uint8_t>(s.lines.data(), s.codestream.range, x0, w, shift, f.is_signed, o); break;
        case 2: put_row<uint16_t>(s.lines.data(), s.codestream.range, x0, w, shift, f.is_signed, o); break;
        default: put_row<uint32_t>(s.lines.data(), s.codestream.range, x0, w, shift, f.is_signed, o); break;
      }
    }
    // The rest of the image is never pulled: the codestream's destructor frees it (close() only closes the file).
  } catch (const DecodeError&) {
    throw;
  } catch (const std::runtime_error&) {  // OpenJPH's errors, after they printed into ojph_error
    throw DecodeError(openjph_says());
  } catch (const char* what) {  // OpenJPH's allocator throws a string literal
    throw DecodeError(std::string("OpenJPH: ") + what);
  }
  if (!native) {
    ImageTarget local = t;
    local.x = local.y = 0;
    copy_region(s.scratch.data(), w, f.samples, bytes, f.is_signed, local);
  }
}

#else  // FRAMECODEC_HAVE_OPENJPH

struct Htj2kDecoder::State {};
std::string htj2k_library() { return ""; }
Htj2kDecoder::Htj2kDecoder() = default;
Htj2kDecoder::~Htj2kDecoder() = default;
bool Htj2kDecoder::supports(const ImageFrame&, const ImageTarget&) const { return false; }
void Htj2kDecoder::decode(ConstBytes, const ImageFrame&, const ImageTarget&) {
  throw std::invalid_argument("framecodec was built without OpenJPH (apt-get install libopenjph-dev and rebuild)");
}

#endif  // FRAMECODEC_HAVE_OPENJPH

}  // namespace framecodec
