// JPEG 2000 (PS3.5 8.2.4: .90 lossless, .91 lossy) and HTJ2K (PS3.5 8.2.14, ISO 15444-15: OpenJPEG 2.5 reads its
// block coder too) with OpenJPEG.
//
// The frame's SIZ marker segment (ISO 15444-1 A.5.1) is read here first and checked against the data set before
// OpenJPEG sees the codestream, so nothing is allocated from the codestream's claims until they agree with it.
// OpenJPEG then reads the codestream from memory where it lies, decodes only the code-blocks a crop needs
// (opj_set_decode_area) and stops at a lower resolution level for a reduced scale (a resolution level r below the
// full one is the image at 1 / 2^r, ISO 15444-1 B.5 equation B-14). Its component planes (32-bit integers) are
// interleaved into the target in one pass per row, with pydicom's corrections for J2K applied on the way.
//
// A scale the codestream cannot give natively (too few decomposition levels, an image offset that is not a
// multiple of the scale, a rectangle whose blocks would run past it) is decoded at full resolution into a
// scratch buffer and area-averaged, as the engine's region code does for the codecs without resolution levels.
#include "j2k_decode.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <new>
#include <stdexcept>
#include <vector>

#include "errors.h"

#ifdef FRAMECODEC_HAVE_OPENJPEG
#include <openjpeg.h>
#endif

namespace framecodec {

#ifdef FRAMECODEC_HAVE_OPENJPEG

namespace {

uint32_t be16(const uint8_t* p) { return static_cast<uint32_t>(p[0] << 8 | p[1]); }
uint32_t be32(const uint8_t* p) { return be16(p) << 16 | be16(p + 2); }

// ---- the codestream's own header -------------------------------------------------------------------------------

// What SIZ says (ISO 15444-1 A.5.1), read straight from the bytes; the per-component fields stay in the buffer.
struct Siz {
  ConstBytes cs;                              // the codestream, SOC to its end (inside a JP2 file: the jp2c box)
  bool jp2 = false;                           // wrapped in the JP2 file format (ISO 15444-1 Annex I)
  bool ht = false;                            // may hold HT code-blocks (ISO 15444-15): see walk()
  uint32_t rsiz = 0;                          // capabilities
  uint32_t x0 = 0, y0 = 0, x1 = 0, y1 = 0;    // image area on the reference grid: XOsiz, YOsiz, Xsiz, Ysiz
  uint32_t tx0 = 0, ty0 = 0, tw = 0, th = 0;  // tile grid: XTOsiz, YTOsiz, XTsiz, YTsiz
  size_t components = 0;                      // Csiz
  const uint8_t* component = nullptr;         // Csiz x (Ssiz, XRsiz, YRsiz)
  unsigned precision(size_t c) const { return (component[3 * c] & 0x7F) + 1u; }  // Ssiz: bit depth - 1, sign bit
};

[[noreturn]] void not_j2k(const std::string& why) { throw DecodeError("not a JPEG 2000 codestream: " + why); }

// The contiguous codestream box (jp2c) of a JP2 file (ISO 15444-1 I.4: LBox, TBox, then XLBox when LBox is 1;
// LBox 0 runs to the end of the file).
ConstBytes jp2_codestream(ConstBytes in) {
  size_t at = 0;
  while (in.size - at >= 8) {
    uint64_t length = be32(in.data + at);
    size_t header = 8;
    if (length == 1) {
      if (in.size - at < 16) break;
      length = static_cast<uint64_t>(be32(in.data + at + 8)) << 32 | be32(in.data + at + 12);
      header = 16;
    } else if (length == 0) {
      length = in.size - at;
    }
    if (length < header || length > in.size - at) break;
    if (be32(in.data + at + 4) == 0x6A703263) return {in.data + at + header, static_cast<size_t>(length) - header};
    at += static_cast<size_t>(length);
  }
  not_j2k("a JP2 file without a whole codestream box");
}

Siz read_siz(ConstBytes in) {
  Siz s;
  // ISO 15444-1 I.5.1: the JP2 signature box, 12 bytes: length 12, type 'jP  ', 0D0A870A. DICOM wants the bare
  // codestream (PS3.5 8.2.4), but some writers store the JP2 file.
  static const uint8_t kJp2[] = {0, 0, 0, 0x0C, 0x6A, 0x50, 0x20, 0x20};
  s.jp2 = in.size >= 12 && std::memcmp(in.data, kJp2, 8) == 0;
  s.cs = s.jp2 ? jp2_codestream(in) : in;
  const uint8_t* p = s.cs.data;
  const size_t n = s.cs.size;
  // A.3: SOC (FF4F) then SIZ (FF51) first, Lsiz = 38 + 3 x Csiz.
  if (n < 4 || be16(p) != 0xFF4F || be16(p + 2) != 0xFF51) {
    char head[64];
    std::snprintf(head, sizeof head, "it starts %02X %02X %02X %02X, not FF 4F FF 51 (SOC, SIZ)", n > 0 ? p[0] : 0,
                  n > 1 ? p[1] : 0, n > 2 ? p[2] : 0, n > 3 ? p[3] : 0);
    not_j2k(n < 4 ? "only " + std::to_string(n) + " bytes" : head);
  }
  if (n < 42) throw DecodeError("the JPEG 2000 codestream ends inside its SIZ marker segment");
  s.rsiz = be16(p + 6);
  s.x1 = be32(p + 8);
  s.y1 = be32(p + 12);
  s.x0 = be32(p + 16);
  s.y0 = be32(p + 20);
  s.tw = be32(p + 24);
  s.th = be32(p + 28);
  s.tx0 = be32(p + 32);
  s.ty0 = be32(p + 36);
  s.components = be16(p + 40);
  if (be16(p + 4) != 38 + 3 * s.components || n < 42 + 3 * s.components)
    throw DecodeError("the JPEG 2000 SIZ marker segment is malformed (Lsiz " + std::to_string(be16(p + 4)) + " for " +
                      std::to_string(s.components) + " components)");
  // A.5.1: a non-empty image whose first tile holds its first sample (XTOsiz <= XOsiz < XTOsiz + XTsiz).
  if (s.x1 <= s.x0 || s.y1 <= s.y0 || s.tw == 0 || s.th == 0 || s.tx0 > s.x0 || s.ty0 > s.y0 ||
      uint64_t{s.tx0} + s.tw <= s.x0 || uint64_t{s.ty0} + s.th <= s.y0)
    throw DecodeError("the JPEG 2000 SIZ marker segment gives an impossible image area or tile grid");
  s.component = p + 42;
  return s;
}

// Walks the marker segments of the main header and of every tile-part header (ISO 15444-1 A.4), jumping over each
// tile-part's data by its Psot. OpenJPEG's strict mode refuses a tile-part that runs past the end of the data,
// but not a codestream that ends cleanly between tile-parts: it decodes the tiles it found and leaves the others
// zero. So every tile must have a tile-part, and all TNsot of them when a tile-part says how many; a last tile-part
// of Psot 0 (running to the end) must end with EOC (A.4.4), the only sign that nothing was cut off.
// Also finds HT code-blocks (code-block style bit 6 of a COD or COC, ISO 15444-15 A.4; or Rsiz bit 14, CAP):
// OpenJPEG 2.5 decodes those right only when it decodes their whole tile (its sub-tile path reads an HT block's
// samples from the wrong buffer and gets zeros).
void walk(Siz& s, std::vector<uint32_t>& tiles) {
  const uint8_t* p = s.cs.data;
  const size_t n = s.cs.size;
  const uint64_t across = (s.x1 - s.tx0 + uint64_t{s.tw} - 1) / s.tw;
  const uint64_t down = (s.y1 - s.ty0 + uint64_t{s.th} - 1) / s.th;
  if (across * down > 65535)  // A.4.2: Isot 0 to 65534
    throw DecodeError("the JPEG 2000 SIZ marker segment gives " + std::to_string(across * down) + " tiles");
  tiles.assign(across * down, 0);  // per tile: tile-parts seen, TNsot << 16
  auto malformed = [](const std::string& what, size_t at) {
    return DecodeError("the JPEG 2000 codestream " + what + " at byte " + std::to_string(at));
  };
  s.ht = s.rsiz & 0x4000;
  size_t at = 4 + be16(p + 4), part = 0;  // the marker after SIZ; the SOT of the tile-part being read
  while (at < n) {
    if (n - at < 2) throw malformed("ends inside a marker", at);
    const uint32_t marker = be16(p + at);
    if (marker == 0xFFD9) break;  // EOC
    if (marker == 0xFF93) {       // SOD: the tile-part's data up to Psot bytes from its SOT
      if (!part) throw malformed("has tile data before any SOT", at);
      const uint32_t psot = be32(p + part + 6);
      if (psot == 0) {
        size_t end = n;
        while (end > at && p[end - 1] == 0 && n - end < 2) --end;  // PS3.5 A.4: a fragment's padding byte
        if (end - at < 4 || be16(p + end - 2) != 0xFFD9)
          throw malformed("ends without EOC after a last tile-part of Psot 0: truncated", n);
        break;
      }
      if (part + psot <= at + 2 || part + psot > n)
        throw malformed("has a tile-part (Psot " + std::to_string(psot) + ") past the end of the data", part);
      at = part + psot;
      continue;
    }
    if (n - at < 4) throw malformed("ends inside a marker segment", at);
    const size_t length = be16(p + at + 2);
    if ((marker & 0xFF00) != 0xFF00 || length < 2 || n - at - 2 < length)
      throw malformed("has a malformed or cut marker segment", at);
    if (marker == 0xFF90) {  // SOT: Lsot 10, Isot, Psot, TPsot, TNsot
      if (length != 10 || be16(p + at + 4) >= tiles.size()) throw malformed("has a malformed SOT", at);
      const uint32_t tile = be16(p + at + 4), count = p[at + 11];
      const uint32_t seen = std::min<uint32_t>((tiles[tile] & 0xFFFF) + 1, 0xFFFF);
      tiles[tile] = (count ? count << 16 : tiles[tile] & 0xFF0000) | seen;
      part = at;
    }
    size_t style = 0;  // the code-block style byte of COD (after Scod, SGcod) or COC (after Ccoc, Scoc), SPcod 3
    if (marker == 0xFF52) style = at + 4 + 1 + 4 + 3;
    if (marker == 0xFF53) style = at + 4 + (s.components < 257 ? 1 : 2) + 1 + 3;  // Ccoc: 2 bytes from 257
    if (style && style < at + 2 + length && (p[style] & 0xC0)) s.ht = true;
    at += 2 + length;
  }
  for (size_t t = 0; t < tiles.size(); ++t) {
    const uint32_t seen = tiles[t] & 0xFFFF, want = tiles[t] >> 16;
    if (seen == 0 || seen < want)
      throw DecodeError("the JPEG 2000 codestream ends before all of tile " + std::to_string(t) + " (" +
                        std::to_string(seen) + " of " + (want ? std::to_string(want) : "at least 1") +
                        " tile-parts): truncated");
  }
}

[[noreturn]] void mismatch(const std::string& what, size_t header, size_t dataset) {
  throw DecodeError("the JPEG 2000 header says " + std::to_string(header) + " " + what + ", the data set " +
                    std::to_string(dataset));
}

// PS3.5 8.2: Rows, Columns and Samples per Pixel must agree with the codestream; the precision must fit the
// container. A precision other than Bits Stored is accepted, as pydicom does (real files encode the whole
// container, or fewer bits).
void check_siz(const Siz& s, const ImageFrame& f) {
  if (s.x1 - s.x0 != f.columns) mismatch("columns", s.x1 - s.x0, f.columns);
  if (s.y1 - s.y0 != f.rows) mismatch("rows", s.y1 - s.y0, f.rows);
  if (s.components != f.samples) mismatch("components", s.components, f.samples);
  if (s.x1 > 0x7FFFFFFF || s.y1 > 0x7FFFFFFF)  // OpenJPEG's coordinates are 32-bit signed
    throw DecodeError("the JPEG 2000 image area ends beyond 2^31 on the reference grid");
  const size_t container = f.bits_allocated;
  for (size_t c = 0; c < s.components; ++c) {
    const uint8_t* m = s.component + 3 * c;
    if (m[1] != 1 || m[2] != 1)  // A.5.1 XRsiz, YRsiz: DICOM frames are not subsampled (PS3.5 8.2.4)
      throw DecodeError("the JPEG 2000 header says component " + std::to_string(c) + " is subsampled (" +
                        std::to_string(m[1]) + " x " + std::to_string(m[2]) + "), the data set has no subsampling");
    const unsigned prec = s.precision(c);
    if (prec > container || prec > 31)
      throw DecodeError("the JPEG 2000 header says component " + std::to_string(c) + " has " + std::to_string(prec) +
                        " bits, the data set allocates " + std::to_string(container));
  }
}

// ---- OpenJPEG ----------------------------------------------------------------------------------------------

struct Reader {
  ConstBytes in;
  size_t at = 0;
};

OPJ_SIZE_T read_fn(void* buffer, OPJ_SIZE_T n, void* user) {
  Reader& r = *static_cast<Reader*>(user);
  if (r.at >= r.in.size) return static_cast<OPJ_SIZE_T>(-1);  // OpenJPEG's end of stream
  const size_t k = std::min<size_t>(n, r.in.size - r.at);
  std::memcpy(buffer, r.in.data + r.at, k);
  r.at += k;
  return k;
}

OPJ_OFF_T skip_fn(OPJ_OFF_T n, void* user) {
  Reader& r = *static_cast<Reader*>(user);
  if (n < 0) {
    if (static_cast<uint64_t>(-n) > r.at) return -1;
    r.at -= static_cast<size_t>(-n);
    return n;
  }
  const size_t k = std::min<uint64_t>(static_cast<uint64_t>(n), r.in.size - r.at);
  if (k == 0 && n > 0) return -1;  // a skip that cannot move would loop in opj_stream_read_skip
  r.at += k;
  return static_cast<OPJ_OFF_T>(k);
}

OPJ_BOOL seek_fn(OPJ_OFF_T to, void* user) {
  Reader& r = *static_cast<Reader*>(user);
  if (to < 0 || static_cast<uint64_t>(to) > r.in.size) return OPJ_FALSE;
  r.at = static_cast<size_t>(to);
  return OPJ_TRUE;
}

void quiet(const char*, void*) {}

// OpenJPEG's error messages, gathered into the DecodeError's text.
void collect(const char* msg, void* user) {
  std::string& s = *static_cast<std::string*>(user);
  if (s.size() > 400) return;
  std::string m(msg ? msg : "");
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  if (m.empty()) return;
  if (!s.empty()) s += "; ";
  s += m;
}

template <class T, void (*Destroy)(T*)>
struct Deleter {
  void operator()(T* p) const { Destroy(p); }
};
using Codec = std::unique_ptr<opj_codec_t, Deleter<opj_codec_t, opj_destroy_codec>>;
using Stream = std::unique_ptr<opj_stream_t, Deleter<opj_stream_t, opj_stream_destroy>>;
using Image = std::unique_ptr<opj_image_t, Deleter<opj_image_t, opj_image_destroy>>;

// ---- samples out ---------------------------------------------------------------------------------------------

// pydicom's _apply_j2k_corrections: with p = min(precision, Bits Stored), keep the low p bits of each value,
// sign-extended from bit p - 1 for Pixel Representation 1 and zero-extended for 0; the container then holds the
// low bits of that (which is the value truncated to the container when p is the container's width).
template <bool Signed>
inline uint32_t correct(int32_t v, unsigned shift) {
  const uint32_t u = static_cast<uint32_t>(v) << shift;
  return Signed ? static_cast<uint32_t>(static_cast<int32_t>(u) >> shift) : u >> shift;
}

template <class T>
inline void store(uint8_t* p, uint32_t v) {
  const T t = static_cast<T>(v);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  for (size_t i = 0; i < sizeof(T); ++i) p[i] = static_cast<uint8_t>(t >> (8 * i));
#else
  std::memcpy(p, &t, sizeof(T));  // PS3.5 7.3 / image_codec.h: little-endian output
#endif
}

// One output row of n pixels from the component rows `in`. Samples is the component count when the template
// knows it (1, 3), 0 otherwise.
template <class T, bool Signed, size_t Samples>
void put_row(uint8_t* out, const int32_t* const* in, size_t n, size_t samples, unsigned shift) {
  const size_t k = Samples ? Samples : samples;
  if (k == 1) {
    const int32_t* a = in[0];
    for (size_t x = 0; x < n; ++x) store<T>(out + x * sizeof(T), correct<Signed>(a[x], shift));
  } else if (Samples == 3) {
    const int32_t *a = in[0], *b = in[1], *c = in[2];
    for (size_t x = 0; x < n; ++x, out += 3 * sizeof(T)) {
      store<T>(out, correct<Signed>(a[x], shift));
      store<T>(out + sizeof(T), correct<Signed>(b[x], shift));
      store<T>(out + 2 * sizeof(T), correct<Signed>(c[x], shift));
    }
  } else {
    for (size_t x = 0; x < n; ++x)
      for (size_t s = 0; s < k; ++s, out += sizeof(T)) store<T>(out, correct<Signed>(in[s][x], shift));
  }
}

using PutRow = void (*)(uint8_t*, const int32_t* const*, size_t, size_t, unsigned);

template <class T, bool Signed>
PutRow pick_samples(size_t samples) {
  return samples == 1 ? put_row<T, Signed, 1> : samples == 3 ? put_row<T, Signed, 3> : put_row<T, Signed, 0>;
}

template <class T>
PutRow pick_sign(bool is_signed, size_t samples) {
  return is_signed ? pick_samples<T, true>(samples) : pick_samples<T, false>(samples);
}

PutRow pick(size_t bytes, bool is_signed, size_t samples) {
  return bytes == 1   ? pick_sign<uint8_t>(is_signed, samples)
         : bytes == 2 ? pick_sign<uint16_t>(is_signed, samples)
                      : pick_sign<uint32_t>(is_signed, samples);
}

// Where decoded pixels go: `columns` x `rows` pixels of `bytes` per sample at out + row * stride.
struct Dest {
  uint8_t* out;
  size_t stride, columns, rows, bytes;
};

bool aligned(const ImageFrame& f, const ImageTarget& t) {
  const size_t s = t.scale;
  return t.x % s == 0 && t.y % s == 0 && (t.width % s == 0 || t.x + t.width == f.columns) &&
         (t.height % s == 0 || t.y + t.height == f.rows);
}

bool inside(const ImageFrame& f, const ImageTarget& t) {
  return t.x <= f.columns && t.width <= f.columns - t.x && t.y <= f.rows && t.height <= f.rows - t.y;
}

// Floor division for a positive divisor: C++ rounds toward zero.
inline int64_t floor_div(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return q - (a % b < 0);
}

}  // namespace

struct J2kDecoder::State {
  std::string errors;           // OpenJPEG's messages for the frame being decoded
  std::vector<uint32_t> tiles;  // walk()'s count of tile-parts
  std::vector<int32_t> full;    // the fallback's full-resolution rectangle, corrected samples
  std::vector<int64_t> sums;    // the fallback's column sums of one block row
  std::vector<const int32_t*> rows;

  // Decodes rectangle (x, y, width, height) of the frame at 1 / 2^reduce into d. Returns false when OpenJPEG
  // cannot give that resolution (then nothing was written); throws DecodeError for a corrupt codestream.
  bool run(ConstBytes in, const Siz& siz, const ImageFrame& f, size_t x, size_t y, size_t width, size_t height,
           unsigned reduce, const Dest& d);
};

bool J2kDecoder::State::run(ConstBytes in, const Siz& siz, const ImageFrame& f, size_t x, size_t y, size_t width,
                            size_t height, unsigned reduce, const Dest& d) {
  errors.clear();
  auto fail = [&](const char* what) -> DecodeError {
    return DecodeError(std::string(what) + (errors.empty() ? "" : ": " + errors));
  };
  Codec codec(opj_create_decompress(siz.jp2 ? OPJ_CODEC_JP2 : OPJ_CODEC_J2K));
  if (!codec) throw std::bad_alloc();
  opj_set_info_handler(codec.get(), quiet, nullptr);
  opj_set_warning_handler(codec.get(), quiet, nullptr);
  opj_set_error_handler(codec.get(), collect, &errors);
  opj_dparameters_t params;
  opj_set_default_decoder_parameters(&params);
  // A JP2 file's palette, component mapping and channel definition boxes are not applied: the components come
  // out as coded, as the bare codestream DICOM asks for would give them.
  params.flags |= OPJ_DPARAMETERS_IGNORE_PCLR_CMAP_CDEF_FLAG;
  if (!opj_setup_decoder(codec.get(), &params)) throw fail("OpenJPEG refused its decoder parameters");
  // No worker threads: the engine decodes frames in parallel, one per worker. 0 rather than 1, which would start
  // a thread for each frame and wait for it; either overrides OPJ_NUM_THREADS.
  opj_codec_set_threads(codec.get(), 0);
  // Truncated data is an error rather than the pixels decoded so far (OpenJPEG 2.5's default, stated here).
  opj_decoder_set_strict_mode(codec.get(), OPJ_TRUE);

  Reader reader{in, 0};
  Stream stream(opj_stream_create(32768, OPJ_TRUE));
  if (!stream) throw std::bad_alloc();
  opj_stream_set_user_data(stream.get(), &reader, nullptr);
  opj_stream_set_user_data_length(stream.get(), in.size);
  opj_stream_set_read_function(stream.get(), read_fn);
  opj_stream_set_skip_function(stream.get(), skip_fn);
  opj_stream_set_seek_function(stream.get(), seek_fn);

  opj_image_t* raw = nullptr;
  const bool header = opj_read_header(stream.get(), codec.get(), &raw);
  Image image(raw);
  if (!header || !image) throw fail("the JPEG 2000 main header does not decode");
  // OpenJPEG read the same SIZ as read_siz() did; a JP2 header box that disagrees with it is caught here.
  if (image->x0 != siz.x0 || image->y0 != siz.y0 || image->x1 != siz.x1 || image->y1 != siz.y1 ||
      image->numcomps != f.samples)
    throw DecodeError("the JP2 header boxes disagree with the JPEG 2000 codestream's SIZ");

  if (reduce && !opj_set_decoded_resolution_factor(codec.get(), reduce)) return false;  // too few levels

  // The area on the reference grid; for HT code-blocks widened to whole tiles (see walk()).
  int64_t ax0 = siz.x0 + x, ay0 = siz.y0 + y, ax1 = ax0 + width, ay1 = ay0 + height;
  if (siz.ht) {
    auto grid = [](int64_t v, int64_t origin, int64_t step) { return origin + (v - origin) / step * step; };
    ax0 = std::max<int64_t>(siz.x0, grid(ax0, siz.tx0, siz.tw));
    ay0 = std::max<int64_t>(siz.y0, grid(ay0, siz.ty0, siz.th));
    ax1 = std::min<int64_t>(siz.x1, grid(ax1 + siz.tw - 1, siz.tx0, siz.tw));
    ay1 = std::min<int64_t>(siz.y1, grid(ay1 + siz.th - 1, siz.ty0, siz.th));
  }
  // The whole image is the default area: OpenJPEG then hands over a single tile's buffers without a copy.
  const bool whole = ax0 == siz.x0 && ay0 == siz.y0 && ax1 == siz.x1 && ay1 == siz.y1;
  if (!opj_set_decode_area(codec.get(), image.get(), whole ? 0 : static_cast<OPJ_INT32>(ax0),
                           whole ? 0 : static_cast<OPJ_INT32>(ay0), whole ? 0 : static_cast<OPJ_INT32>(ax1),
                           whole ? 0 : static_cast<OPJ_INT32>(ay1)))
    throw fail("OpenJPEG refused the decode area");
  if (!opj_decode(codec.get(), stream.get(), image.get()) || !opj_end_decompress(codec.get(), stream.get())) {
    if (reduce) return false;  // e.g. a tile-part COD with fewer levels than the main header's: full resolution
    throw fail("the JPEG 2000 codestream does not decode");
  }

  // The area at 1 / 2^reduce is [ceil(a0 / 2^reduce), ceil(a1 / 2^reduce)) (B-14); the rectangle wanted starts
  // (ox, oy) into it. What came out must be that, component by component, before a byte is copied.
  auto down = [reduce](int64_t v) { return static_cast<size_t>((v + (int64_t{1} << reduce) - 1) >> reduce); };
  const size_t cw = down(ax1) - down(ax0), ch = down(ay1) - down(ay0);
  const size_t ox = down(siz.x0 + x) - down(ax0), oy = down(siz.y0 + y) - down(ay0);
  if (image->numcomps != f.samples) throw DecodeError("OpenJPEG decoded a different number of components");
  if (ox + d.columns > cw || oy + d.rows > ch) throw std::logic_error("J2kDecoder: the target is outside the area");
  rows.resize(f.samples);
  for (size_t c = 0; c < f.samples; ++c) {
    const opj_image_comp_t& comp = image->comps[c];
    if (!comp.data || comp.w != cw || comp.h != ch)
      throw DecodeError("OpenJPEG decoded component " + std::to_string(c) + " as " + std::to_string(comp.w) + " x " +
                        std::to_string(comp.h) + " pixels, expected " + std::to_string(cw) + " x " +
                        std::to_string(ch));
  }
  // pydicom reads the first component's precision (its get_j2k_parameters) and corrects all of them with it.
  const unsigned precision = static_cast<unsigned>(std::min<size_t>(siz.precision(0), f.bits_stored));
  const unsigned shift = 32 - precision;
  const PutRow put = pick(d.bytes, f.is_signed, f.samples);
  for (size_t r = 0; r < d.rows; ++r) {
    for (size_t c = 0; c < f.samples; ++c) rows[c] = image->comps[c].data + (oy + r) * cw + ox;
    put(d.out + r * d.stride, rows.data(), d.columns, f.samples, shift);
  }
  return true;
}

std::string j2k_library() { return std::string("OpenJPEG ") + opj_version(); }

J2kDecoder::J2kDecoder() : state_(new State) {}
J2kDecoder::~J2kDecoder() = default;

bool J2kDecoder::supports(const ImageFrame& f, const ImageTarget& t) const {
  if (!inside(f, t)) return false;
  if (t.scale == 1) return true;
  return (t.scale == 2 || t.scale == 4 || t.scale == 8) && aligned(f, t);
}

void J2kDecoder::decode(ConstBytes codestream, const ImageFrame& f, const ImageTarget& t) {
  const size_t bytes = f.bits_allocated / 8;
  if (f.bits_allocated != 8 && f.bits_allocated != 16 && f.bits_allocated != 32)
    throw std::invalid_argument("JPEG 2000 frames are decoded to 8, 16 or 32 bits allocated, not " +
                                std::to_string(f.bits_allocated));
  if (f.bits_stored == 0 || f.samples == 0) throw std::invalid_argument("bits stored and samples must be at least 1");
  if (t.scale != 1 && t.scale != 2 && t.scale != 4 && t.scale != 8)
    throw std::invalid_argument("the scale must be 1, 2, 4 or 8, got " + std::to_string(t.scale));
  if (!inside(f, t)) throw std::invalid_argument("the target rectangle is not inside the frame");
  State& s = *state_;
  Siz siz = read_siz(codestream);
  check_siz(siz, f);
  walk(siz, s.tiles);
  const size_t out_w = t.out_width(), out_h = t.out_height();
  if (out_w == 0 || out_h == 0) return;

  // Natively: resolution level r of the reduced image covers reference grid samples [u 2^r, (u + 1) 2^r)
  // (B-14), which are the target's blocks when the image offset and the rectangle's corner are multiples of 2^r.
  const unsigned reduce = t.scale == 8 ? 3 : t.scale == 4 ? 2 : t.scale == 2 ? 1 : 0;
  if (reduce == 0 || (aligned(f, t) && siz.x0 % t.scale == 0 && siz.y0 % t.scale == 0)) {
    if (s.run(codestream, siz, f, t.x, t.y, t.width, t.height, reduce, {t.out, t.stride, out_w, out_h, bytes})) return;
  }

  // Otherwise the rectangle at full resolution as 32-bit corrected samples, then the mean of each block, rounded
  // half up: floor((2 sum + n) / 2n).
  const size_t k = f.samples, row = t.width * k;
  s.full.resize(row * t.height);
  s.run(codestream, siz, f, t.x, t.y, t.width, t.height, 0,
        {reinterpret_cast<uint8_t*>(s.full.data()), row * sizeof(int32_t), t.width, t.height, sizeof(int32_t)});
  s.sums.resize(row);
  const size_t sc = t.scale;
  for (size_t oy = 0; oy < out_h; ++oy) {
    const size_t y0 = oy * sc, y1 = std::min(y0 + sc, t.height);
    std::fill(s.sums.begin(), s.sums.end(), 0);
    for (size_t y = y0; y < y1; ++y) {
      const int32_t* src = s.full.data() + y * row;
      for (size_t i = 0; i < row; ++i) s.sums[i] += src[i];
    }
    uint8_t* out = t.out + oy * t.stride;
    for (size_t ox = 0; ox < out_w; ++ox) {
      const size_t x0 = ox * sc, x1 = std::min(x0 + sc, t.width);
      const int64_t n = static_cast<int64_t>((x1 - x0) * (y1 - y0));
      for (size_t c = 0; c < k; ++c, out += bytes) {
        int64_t sum = 0;
        for (size_t x = x0; x < x1; ++x) sum += s.sums[x * k + c];
        const uint32_t v = static_cast<uint32_t>(floor_div(2 * sum + n, 2 * n));
        bytes == 1 ? store<uint8_t>(out, v) : bytes == 2 ? store<uint16_t>(out, v) : store<uint32_t>(out, v);
      }
    }
  }
}

#else  // !FRAMECODEC_HAVE_OPENJPEG

struct J2kDecoder::State {};
std::string j2k_library() { return ""; }
J2kDecoder::J2kDecoder() = default;
J2kDecoder::~J2kDecoder() = default;
bool J2kDecoder::supports(const ImageFrame&, const ImageTarget&) const { return false; }
void J2kDecoder::decode(ConstBytes, const ImageFrame&, const ImageTarget&) {
  throw std::invalid_argument("framecodec was built without OpenJPEG (apt-get install libopenjp2-7-dev and rebuild)");
}

#endif

}  // namespace framecodec
