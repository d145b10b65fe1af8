// JPEG-LS lossless and near-lossless decoding (PS3.5 8.2.3, ISO/IEC 14495-1) with the system CharLS, through its
// C API: every call returns an error code (CharLS catches its own exceptions, std::bad_alloc included), which
// becomes a DecodeError with CharLS's message, so nothing of CharLS's escapes as another type.
//
// CharLS writes 1 byte per sample for up to 8 bits, 2 (native, little-endian here) above, sample-interleaved for
// the line and sample interleave modes and one plane after another for mode none. When that is already the
// target's layout (the container is as wide as CharLS's samples, and one sample per pixel or an interleaved
// mode) the frame is decoded straight into the target, rows at the target's stride; otherwise into a scratch
// buffer kept from frame to frame, then widened and interleaved into the target in one pass.
//
// Values are pydicom's (3.0 and 3.1 with pyjpegls): JPEG-LS has no signed samples, so for Pixel Representation 1
// pydicom sign-extends each value from bit p - 1, p = min(the codestream's precision, Bits Stored), when p is
// less than the container (_apply_jls_sign_correction); unsigned values are left as decoded (the caller
// clears bits above Bits Stored, for every codec).
#include "jpegls_decode.h"

#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "errors.h"

#ifdef FRAMECODEC_HAVE_CHARLS
#include <charls/charls.h>
#endif

namespace framecodec {

#ifdef FRAMECODEC_HAVE_CHARLS

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "CharLS writes native 16-bit samples: little-endian host");

namespace {

// CharLS 2.4's decoder object decodes one codestream: set_source_buffer refuses a second call (its state
// machine has no reset), so a decoder is created per frame. That is one small allocation, next to the coding
// context and line buffers CharLS allocates inside every decode anyway (about 0.1 us; a 512 x 512 frame takes ms).
struct DecoderDeleter {
  void operator()(charls_jpegls_decoder* d) const { charls_jpegls_decoder_destroy(d); }
};
using Decoder = std::unique_ptr<charls_jpegls_decoder, DecoderDeleter>;

void check(charls::jpegls_errc e, const char* what) {
  if (e != charls::jpegls_errc::success)
    throw DecodeError(std::string("JPEG-LS codestream: ") + what + ": " + charls_get_error_message(e));
}

// A decoder with `b` as its source and its header read (up to the first scan's data).
Decoder open_codestream(ConstBytes b) {
  Decoder d(charls_jpegls_decoder_create());
  if (!d) throw std::bad_alloc();
  static const uint8_t empty = 0;  // the C API declares the source pointer nonnull, even for 0 bytes
  check(charls_jpegls_decoder_set_source_buffer(d.get(), b.data ? b.data : &empty, b.size), "header");
  check(charls_jpegls_decoder_read_header(d.get()), "header");
  return d;
}

[[noreturn]] void mismatch(const std::string& header, const std::string& data_set) {
  throw DecodeError("the JPEG-LS header says " + header + ", the data set " + data_set);
}

// CharLS 2.4's bit reader stops at a marker (0xFF then a byte with its high bit set, or a final 0xFF), but at the
// end of its buffer with bits still owed (a codestream cut inside its scan data) it reads zero bits for about 2^32
// iterations (read_high_bits) before it fails: tens of seconds per frame (pyjpegls hangs there too). So CharLS is
// only given buffers that end with a marker: the codestream less any zero bytes after its final marker (the EOI,
// then the DICOM pad byte: CharLS reads nothing after the EOI), or else a copy with 0xFF 0xFF appended, where the bit
// reader stops and CharLS then fails as it would at the end of the codestream (no EOI: "source buffer too small").
bool trim_to_marker(ConstBytes& b) {
  size_t n = b.size;
  while (n && b.data[n - 1] == 0) --n;
  if (n >= 2 && b.data[n - 2] == 0xFF && (b.data[n - 1] & 0x80)) {
    b.size = n;
    return true;
  }
  return n == b.size && n >= 1 && b.data[n - 1] == 0xFF;  // not 0xFF 0x00: that is a stuffed byte, not a marker
}

template <class T>
inline T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

template <class T>
inline void store(uint8_t* p, T v) {
  std::memcpy(p, &v, sizeof v);
}

// One decoded value into the container: zero-extended, or for kSign sign-extended from bit 31 - shift
// (shift = 32 - p), as pydicom's left then arithmetic right shift within the container gives.
template <class Out, bool kSign>
inline Out widen(uint32_t v, unsigned shift) {
  if (kSign) v = static_cast<uint32_t>(static_cast<int32_t>(v << shift) >> shift);
  return static_cast<Out>(v);
}

// The frame's samples from CharLS's output `src` into the target: `pixel` and `plane` are the element steps
// from one pixel and one component to the next in src (interleaved: samples and 1; planar: 1 and rows *
// columns). In may equal Out and src the target itself (sign extension in place, row by row).
template <class In, class Out, bool kSign>
void convert(const uint8_t* src, size_t src_row, size_t pixel, size_t plane, const ImageFrame& f, const ImageTarget& t,
             unsigned shift) {
  const size_t n = f.columns * f.samples, samples = f.samples;
  for (size_t y = 0; y < f.rows; ++y) {
    const uint8_t* s = src + y * src_row;
    uint8_t* d = t.out + y * t.stride;
    if (plane == 1 || samples == 1) {  // interleaved already: one flat run per row
      for (size_t i = 0; i < n; ++i)
        store<Out>(d + i * sizeof(Out), widen<Out, kSign>(load<In>(s + i * sizeof(In)), shift));
      continue;
    }
    for (size_t x = 0; x < f.columns; ++x)
      for (size_t c = 0; c < samples; ++c)
        store<Out>(d + (x * samples + c) * sizeof(Out),
                   widen<Out, kSign>(load<In>(s + (x * pixel + c * plane) * sizeof(In)), shift));
  }
}

template <class In, class Out>
void convert(const uint8_t* src, size_t src_row, size_t pixel, size_t plane, const ImageFrame& f, const ImageTarget& t,
             unsigned shift) {
  if (shift)
    convert<In, Out, true>(src, src_row, pixel, plane, f, t, shift);
  else
    convert<In, Out, false>(src, src_row, pixel, plane, f, t, 0);
}

template <class In>
void convert(const uint8_t* src, size_t src_row, size_t pixel, size_t plane, const ImageFrame& f, const ImageTarget& t,
             unsigned shift, size_t container) {
  if (container == 1)
    convert<In, uint8_t>(src, src_row, pixel, plane, f, t, shift);
  else if (container == 2)
    convert<In, uint16_t>(src, src_row, pixel, plane, f, t, shift);
  else
    convert<In, uint32_t>(src, src_row, pixel, plane, f, t, shift);
}

}  // namespace

struct JpegLsDecoder::State {
  std::vector<uint8_t> scratch;  // CharLS's output when it cannot be the target itself
  std::vector<uint8_t> source;   // a codestream that does not end with a marker, with 0xFF 0xFF appended
};

std::string jpegls_library() { return std::string("CharLS ") + charls_get_version_string(); }

JpegLsDecoder::JpegLsDecoder() : state_(new State) {}
JpegLsDecoder::~JpegLsDecoder() = default;

bool JpegLsDecoder::supports(const ImageFrame& f, const ImageTarget& t) const { return t.whole(f) && t.scale == 1; }

void JpegLsDecoder::decode(ConstBytes codestream, const ImageFrame& f, const ImageTarget& t) {
  const size_t container = f.bits_allocated / 8;
  if (f.bits_allocated != 8 && f.bits_allocated != 16 && f.bits_allocated != 32)
    throw std::invalid_argument("JPEG-LS frames decode into Bits Allocated 8, 16 or 32, not " +
                                std::to_string(f.bits_allocated));
  if (!supports(f, t))
    throw std::invalid_argument("JPEG-LS decodes whole frames at full resolution only (the engine crops and reduces)");
  const size_t row_bytes = f.columns * f.samples * container;
  if (t.stride < row_bytes)
    throw std::invalid_argument("target stride " + std::to_string(t.stride) + " is less than a row of " +
                                std::to_string(row_bytes) + " bytes");

  const bool ends_with_marker = trim_to_marker(codestream);
  Decoder decoder = open_codestream(codestream);
  charls_jpegls_decoder* d = decoder.get();
  charls::frame_info info{};
  check(charls_jpegls_decoder_get_frame_info(d, &info), "header");
  charls::interleave_mode mode{};
  check(charls_jpegls_decoder_get_interleave_mode(d, &mode), "header");
  charls::color_transformation transform{};
  check(charls_jpegls_decoder_get_color_transformation(d, &transform), "header");

  // PS3.5 8.2: the codestream must describe the data set's frame; nothing is allocated from its claims before.
  if (info.width != f.columns)
    mismatch(std::to_string(info.width) + " columns", std::to_string(f.columns) + " (Columns)");
  if (info.height != f.rows || info.height == 0)
    mismatch(std::to_string(info.height) + " rows", std::to_string(f.rows) + " (Rows)");
  if (static_cast<size_t>(info.component_count) != f.samples)
    mismatch(std::to_string(info.component_count) + " components", std::to_string(f.samples) + " (Samples per Pixel)");
  const size_t bits = static_cast<size_t>(info.bits_per_sample);
  if (bits < 2 || bits > 16 || bits > 8 * container)
    mismatch(std::to_string(bits) + " bits per sample",
             std::to_string(f.bits_allocated) + " (Bits Allocated)" + (bits < 2 || bits > 16 ? "" : ": too few"));
  if (transform != charls::color_transformation::none)
    throw DecodeError(
        "the JPEG-LS codestream uses an HP colour transformation (APP8 \"mrfx\"), which is not "
        "supported in DICOM (PS3.5 8.2.3)");

  if (!ends_with_marker) {  // the header is read from the codestream as it is, for CharLS's own errors
    std::vector<uint8_t>& copy = state_->source;
    copy.assign(codestream.data, codestream.data + codestream.size);
    copy.insert(copy.end(), {0xFF, 0xFF});
    decoder = open_codestream({copy.data(), copy.size()});
    d = decoder.get();
  }

  const size_t width = bits <= 8 ? 1 : 2;  // bytes per sample CharLS writes
  const bool planar = mode == charls::interleave_mode::none && f.samples > 1;
  const size_t precision = bits < f.bits_stored ? bits : f.bits_stored;
  const unsigned shift = f.is_signed && precision >= 1 && precision < 8 * container ? 32 - precision : 0;

  if (width == container && !planar && t.stride <= UINT32_MAX) {  // CharLS's layout is the target's: no copy
    check(charls_jpegls_decoder_decode_to_buffer(d, t.out, t.stride * (f.rows - 1) + row_bytes,
                                                 static_cast<uint32_t>(t.stride)),
          "decode");
    if (shift) {
      if (width == 1)
        convert<uint8_t, uint8_t>(t.out, t.stride, 1, 1, f, t, shift);
      else
        convert<uint16_t, uint16_t>(t.out, t.stride, 1, 1, f, t, shift);
    }
    return;
  }

  const size_t frame_bytes = f.rows * f.columns * f.samples * width;
  std::vector<uint8_t>& scratch = state_->scratch;
  if (scratch.size() < frame_bytes) scratch.resize(frame_bytes);
  check(charls_jpegls_decoder_decode_to_buffer(d, scratch.data(), frame_bytes, 0), "decode");
  const size_t pixel = planar ? 1 : f.samples, plane = planar ? f.rows * f.columns : 1;
  const size_t src_row = f.columns * pixel * width;
  if (width == 1)
    convert<uint8_t>(scratch.data(), src_row, pixel, plane, f, t, shift, container);
  else
    convert<uint16_t>(scratch.data(), src_row, pixel, plane, f, t, shift, container);
}

#else  // built without CharLS

struct JpegLsDecoder::State {};
std::string jpegls_library() { return ""; }
JpegLsDecoder::JpegLsDecoder() = default;
JpegLsDecoder::~JpegLsDecoder() = default;
bool JpegLsDecoder::supports(const ImageFrame&, const ImageTarget&) const { return false; }
void JpegLsDecoder::decode(ConstBytes, const ImageFrame&, const ImageTarget&) {
  throw std::invalid_argument("framecodec was built without CharLS (apt-get install libcharls-dev and rebuild)");
}

#endif

}  // namespace framecodec
