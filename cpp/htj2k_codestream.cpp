// The HTJ2K codestream's structure, walked before OpenJPH 0.9.0 reads it (htj2k_decode.cpp says what OpenJPH trusts
// in it): SOC, SIZ, the main header's marker segments, each tile-part, and the EOC (ISO 15444-1 A.4-A.6).
#include "htj2k_codestream.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>

#include "errors.h"

namespace framecodec {

namespace {

uint32_t be16(const uint8_t* p) { return static_cast<uint32_t>(p[0] << 8 | p[1]); }
uint32_t be32(const uint8_t* p) { return be16(p) << 16 | be16(p + 2); }
std::string hex(uint32_t marker) {
  char s[8];
  std::snprintf(s, sizeof s, "0x%04X", static_cast<unsigned>(marker));
  return s;
}

enum : uint32_t {
  SOC = 0xFF4F,
  CAP = 0xFF50,
  SIZ = 0xFF51,
  COD = 0xFF52,
  COC = 0xFF53,
  TLM = 0xFF55,
  PRF = 0xFF56,
  PLM = 0xFF57,
  PLT = 0xFF58,
  CPF = 0xFF59,
  QCD = 0xFF5C,
  QCC = 0xFF5D,
  RGN = 0xFF5E,
  POC = 0xFF5F,
  PPM = 0xFF60,
  PPT = 0xFF61,
  CRG = 0xFF63,
  COM = 0xFF64,
  SOT = 0xFF90,
  SOD = 0xFF93,
  EOC = 0xFFD9,
};

[[noreturn]] void corrupt(const std::string& why) { throw DecodeError("corrupt HTJ2K codestream: " + why); }
[[noreturn]] void unsupported(const std::string& what) {
  throw Unsupported("the HTJ2K codestream uses " + what + ", which OpenJPH 0.9.0 cannot decode");
}

// A marker segment: its marker, its body (after the length field) and where it ends.
struct Segment {
  uint32_t marker = 0;
  const uint8_t* body = nullptr;
  size_t size = 0, end = 0;
};

Segment segment(ConstBytes in, size_t at, size_t limit, const char* where) {
  if (at + 4 > limit) corrupt(std::string("truncated in the ") + where + " (byte " + std::to_string(at) + ")");
  Segment s;
  s.marker = be16(in.data + at);
  if (s.marker < 0xFF00) corrupt("no marker at byte " + std::to_string(at) + " of the " + where);
  const size_t length = be16(in.data + at + 2);
  if (length < 2 || at + 2 + length > limit)
    corrupt("marker segment " + hex(s.marker) + " at byte " + std::to_string(at) + " runs past the " + where);
  s.body = in.data + at + 4;
  s.size = length - 2;
  s.end = at + 2 + length;
  return s;
}

// QCD / QCC (A.6.4, A.6.5) from the style byte on: one exponent per subband, as OpenJPH 0.9.0 needs them (no
// derived quantization, the style the wavelet implies, K_max = guard bits + exponent - 1 within 0..31: OpenJPH
// shifts by 31 - K_max and keeps 97 exponents).
void check_quantization(const uint8_t* q, size_t size, uint32_t levels, bool reversible, const char* name) {
  if (size < 1) corrupt(std::string(name) + " is empty");
  const unsigned style = q[0] & 0x1F, guard = q[0] >> 5;
  if (style == 1) unsupported("scalar derived quantization");
  if (style != (reversible ? 0u : 2u)) corrupt(std::string(name) + " quantization style does not fit the wavelet");
  const size_t each = style ? 2 : 1, count = (size - 1) / each;
  if ((size - 1) % each || count != 1 + 3 * static_cast<size_t>(levels))
    corrupt(std::string(name) + " has " + std::to_string(count) + " subbands for " + std::to_string(levels) +
            " decomposition levels");
  for (size_t i = 0; i < count; ++i) {
    const unsigned exponent = style ? be16(q + 1 + 2 * i) >> 11 : q[1 + i] >> 3;
    if (guard + exponent > 32 || (style && guard + exponent < 1))
      corrupt(std::string(name) + " gives a subband more than 31 magnitude bits");
  }
}

// OpenJPH 0.9.0 reads nothing for the packet of a precinct that has no code-block in any of its subbands, where the
// encoder wrote a byte (an empty packet, ISO 15444-1 B.10), so every packet after it in the tile-part is misread:
// wrong pixels or an error (later OpenJPH releases read it). Such precincts occur at a resolution level above 0 whose
// last precinct holds one even sample in both directions (257 x 257 with 128 x 128 precincts) and in whole levels when
// there are more levels than the tile has sizes (16 x 16 with 5 levels). The test is separable: along one axis of
// a tile, the (high-pass empty, low-pass empty) pairs of its precincts at level r, as bits 1 << (hi | lo << 1),
// with OpenJPH's own arithmetic (resolution::finalize_alloc, subband::get_cb_indices). Only the first, the last and
// an interior precinct differ.
unsigned axis_kinds(uint32_t a0, uint32_t a1, unsigned down, unsigned pp, unsigned cb) {
  const uint32_t r0 = static_cast<uint32_t>((uint64_t{a0} + (uint64_t{1} << down) - 1) >> down);
  const uint32_t r1 = static_cast<uint32_t>((uint64_t{a1} + (uint64_t{1} << down) - 1) >> down);
  if (r0 == r1) return 0;  // the level is empty: no precincts
  const bool hi_band = r1 >> 1 == r0 >> 1, lo_band = (r1 + 1) >> 1 == (r0 + 1) >> 1;  // a band empty throughout
  const unsigned k = std::min(cb, pp - 1);
  const auto blocks = [k](uint32_t b0, uint32_t b1) { return ((b1 + (1u << k) - 1) >> k) - (b0 >> k); };
  const uint32_t first = r0 >> pp, end = static_cast<uint32_t>((uint64_t{r1} + (1u << pp) - 1) >> pp);
  unsigned kinds = 0;
  for (uint32_t p : {first, first + 1, end - 1}) {
    if (p >= end) continue;
    const uint32_t c0 = std::max(r0, p << pp), c1 = std::min<uint64_t>(r1, uint64_t{p + 1} << pp);
    const bool hi = hi_band || !blocks(c0 >> 1, c1 >> 1), lo = lo_band || !blocks((c0 + 1) >> 1, (c1 + 1) >> 1);
    kinds |= 1u << (hi | lo << 1);
  }
  return kinds;
}

// Whether some precinct pairs an x kind with a y kind that leaves HL (x high, y low), LH and HH all empty.
bool precinct_without_blocks(unsigned xkinds, unsigned ykinds) {
  for (unsigned x = 0; x < 4; ++x)
    for (unsigned y = 0; y < 4; ++y)
      if ((xkinds >> x & 1) && (ykinds >> y & 1) && (x & 1 || y & 2) && (x & 2 || y & 1) && (x & 1 || y & 1))
        return true;
  return false;
}

}  // namespace

Htj2kHeader Htj2kWalk::walk(ConstBytes in, const ImageFrame& f) {
  const uint8_t* d = in.data;
  const size_t n = in.size;
  if (n < 4 || be16(d) != SOC || be16(d + 2) != SIZ)
    corrupt("it does not start with SOC and SIZ (" + std::to_string(n) + " bytes)");
  const Segment siz = segment(in, 2, n, "main header");
  if (siz.size < 36 || siz.size != 36 + 3 * static_cast<size_t>(be16(siz.body + 34)))
    corrupt("SIZ length does not fit its component count");
  const uint8_t* s = siz.body;
  if (!(be16(s) & 0x4000))
    throw Unsupported(
        "the codestream is JPEG 2000 Part 1, not HTJ2K (its SIZ has no Part 15 capability)"
        ", which OpenJPH 0.9.0 cannot decode");
  Htj2kHeader h;
  h.x1 = be32(s + 2), h.y1 = be32(s + 6), h.x0 = be32(s + 10), h.y0 = be32(s + 14);
  const uint32_t tw = be32(s + 18), th = be32(s + 22), tx0 = be32(s + 26), ty0 = be32(s + 30);
  const size_t components = be16(s + 34);
  if (h.x1 <= h.x0 || h.y1 <= h.y0) corrupt("SIZ gives an empty image");
  if (h.x1 - h.x0 != f.columns || h.y1 - h.y0 != f.rows)
    throw DecodeError("the HTJ2K header says " + std::to_string(h.x1 - h.x0) + " x " + std::to_string(h.y1 - h.y0) +
                      " pixels, the data set " + std::to_string(f.columns) + " x " + std::to_string(f.rows) +
                      " (Columns x Rows)");
  if (components != f.samples)
    throw DecodeError("the HTJ2K header says " + std::to_string(components) + " component" +
                      (components == 1 ? "" : "s") + ", the data set " + std::to_string(f.samples) +
                      " samples per pixel");
  // Image and tiles within 2^31 keep OpenJPH's 32-bit tile arithmetic from wrapping (A.5.1 allows 2^32 - 1).
  if (h.x1 > 0x80000000u || h.y1 > 0x80000000u || !tw || !th || tw > 0x80000000u || th > 0x80000000u || tx0 > h.x0 ||
      ty0 > h.y0 || tx0 + tw <= h.x0 || ty0 + th <= h.y0)
    corrupt("SIZ gives an impossible tile grid");
  for (size_t c = 0; c < components; ++c) {
    const uint8_t* p = s + 36 + 3 * c;
    const unsigned depth = (p[0] & 0x7Fu) + 1;
    if (p[1] != 1 || p[2] != 1)
      throw DecodeError("the HTJ2K header says component " + std::to_string(c) + " is subsampled " +
                        std::to_string(p[1]) + " x " + std::to_string(p[2]) + ", the data set has no subsampling");
    if (depth > 32 || depth > f.bits_allocated)
      throw DecodeError("the HTJ2K header says " + std::to_string(depth) + "-bit samples, the data set Bits " +
                        "Allocated " + std::to_string(f.bits_allocated));
  }
  const uint64_t tiles_x = (h.x1 - tx0 + uint64_t{tw} - 1) / tw, tiles_y = (h.y1 - ty0 + uint64_t{th} - 1) / th;
  if (tiles_x * tiles_y > 65535) corrupt("more than 65535 tiles");
  const size_t tiles = static_cast<size_t>(tiles_x * tiles_y);

  // The main header: the segments OpenJPH understands, each inside the buffer, up to the first SOT.
  size_t at = siz.end;
  const uint8_t *cod = nullptr, *qcd = nullptr;
  size_t cod_size = 0, qcd_size = 0, cocs = 0, qccs = 0;
  while (true) {
    if (at + 2 > n) corrupt("truncated in the main header");
    if (be16(d + at) == SOT) break;
    const Segment g = segment(in, at, n, "main header");
    switch (g.marker) {
      case COD:
        if (cod) corrupt("two COD segments");
        cod = g.body, cod_size = g.size;
        break;
      case QCD:
        if (qcd) corrupt("two QCD segments");
        qcd = g.body, qcd_size = g.size;
        break;
      case COC: ++cocs; break;
      case QCC: ++qccs; break;
      case CAP:
      case PRF:
      case CPF:
      case TLM:
      case PLM:
      case CRG:
      case COM: break;
      case RGN: unsupported("a region of interest (RGN)");
      case POC: unsupported("progression order changes (POC)");
      case PPM: unsupported("packed packet headers (PPM)");
      default: corrupt("unexpected marker " + hex(g.marker) + " in the main header");
    }
    at = g.end;
  }
  const size_t main_end = at;
  if (!cod || !qcd) corrupt("the main header lacks COD or QCD");
  // COD (A.6.1): Scod, progression, layers, MCT, then SPcod: levels, code-block size, style, wavelet, precincts.
  if (cod_size < 10 || cod_size != 10 + (cod[0] & 1 ? cod[5] + 1u : 0u)) corrupt("COD length does not fit it");
  h.levels = cod[5];
  const unsigned xcb = cod[6], ycb = cod[7], style = cod[8], wavelet = cod[9];
  if (cod[1] > 4) corrupt("unknown progression order");
  if (be16(cod + 2) != 1) unsupported(std::to_string(be16(cod + 2)) + " quality layers (it decodes one)");
  if (cod[4] > 1) unsupported("a Part 2 multi-component transform");
  if (cod[4] && components < 3) corrupt("a colour transform with fewer than 3 components");
  if (h.levels > 32 || xcb > 8 || ycb > 8 || xcb + ycb > 8) corrupt("COD gives impossible levels or code-blocks");
  if (!(style & 0x40)) unsupported("JPEG 2000 Part 1 code-blocks");
  if (style & 0x80) unsupported("mixed HT and Part 1 code-blocks");
  if (wavelet > 1) unsupported("a Part 2 wavelet");
  if (cod[0] & 1)
    for (uint32_t r = 1; r <= h.levels; ++r)
      if (!(cod[10 + r] & 0x0F) || !(cod[10 + r] & 0xF0)) corrupt("COD gives a precinct of size 1 above level 0");
  const bool reversible = wavelet == 1;
  check_quantization(qcd, qcd_size, h.levels, reversible, "QCD");
  if (cocs || qccs) {  // second pass: COD and QCD may follow them (A.4.2 fixes no order)
    if (cocs > components || qccs > components) corrupt("more COC or QCC segments than components");
    for (at = siz.end; at < main_end;) {
      const Segment g = segment(in, at, main_end, "main header");
      if (g.marker == COC) {  // Ccoc (one byte below 257 components), Scoc, SPcoc: a copy of COD's is harmless
        if (g.size < 2 || g.body[0] >= components) corrupt("COC names no component");
        if ((g.body[1] & 1) != (cod[0] & 1) || g.size - 2 != cod_size - 5 ||
            std::memcmp(g.body + 2, cod + 5, g.size - 2))
          unsupported("a coding style per component (COC)");
      } else if (g.marker == QCC) {
        if (g.size < 2 || g.body[0] >= components) corrupt("QCC names no component");
        check_quantization(g.body + 1, g.size - 1, h.levels, reversible, "QCC");
      }
      at = g.end;
    }
  }

  // What OpenJPH's allocator takes before it reads any data: a code-block buffer (up to 64 x 64 x 4 bytes) per
  // code-block column of every subband of every tile and component. Tiny tiles make that gigabytes from a small
  // codestream; refuse past what a sane codestream of this frame could need.
  {
    const double cb_bytes = 4.0 * (((4u << xcb) + 7) & ~7u) * (4u << ycb);
    const uint32_t tile_w = std::min(tw, h.x1 - h.x0);
    double columns = 0;  // code-block columns of one tile-component, rounded up
    for (uint32_t r = 1; r <= h.levels; ++r) columns += 3.0 * ((tile_w >> r) / (4u << xcb) + 2);
    columns += (tile_w >> h.levels) / (4u << xcb) + 2;
    const double need = columns * cb_bytes * static_cast<double>(components * tiles);
    const double frame = static_cast<double>(f.rows) * f.columns * f.samples * (f.bits_allocated / 8);
    if (need > std::max(1073741824.0, 16 * frame))
      unsupported("tiles so small that decoding would need " + std::to_string(static_cast<uint64_t>(need) >> 20) +
                  " MiB");
  }

  // The tile-parts (A.4.2): SOT, a header of PLT / COM (COD / QCD only as copies of the main header's), SOD, data;
  // Psot keeps each inside the buffer, and 0 only on the last, which runs to the EOC.
  parts_seen.assign(tiles, 0);
  parts_total.assign(tiles, 0);
  while (at + 2 <= n && be16(d + at) == SOT) {
    if (at + 12 > n || be16(d + at + 2) != 10) corrupt("truncated or malformed SOT at byte " + std::to_string(at));
    const uint32_t tile = be16(d + at + 4), psot = be32(d + at + 6), part = d[at + 10], parts = d[at + 11];
    const std::string name = "tile-part " + std::to_string(part) + " of tile " + std::to_string(tile);
    if (tile >= tiles) corrupt(name + ": the image has " + std::to_string(tiles) + " tiles");
    if (part != parts_seen[tile]) corrupt(name + " out of order");
    if (parts && (parts <= part || (parts_total[tile] && parts_total[tile] != parts)))
      corrupt(name + " contradicts its tile-part count");
    if (parts) parts_total[tile] = static_cast<uint8_t>(parts);
    size_t end = at + psot;
    if (psot == 0) {  // to the EOC that ends the codestream (a DICOM fragment may add one byte of padding)
      end = n >= 2 && be16(d + n - 2) == EOC ? n - 2 : n >= 3 && !d[n - 1] && be16(d + n - 3) == EOC ? n - 3 : 0;
      if (end < at + 14) corrupt(name + " runs to the end, and the codestream does not end with EOC: truncated");
      h.psot_at = at + 6, h.psot = end - at;
    } else if (psot < 14 || end > n) {
      corrupt(name + " at byte " + std::to_string(at) + " is " + std::to_string(psot) + " bytes long, past the end " +
              "of the codestream (" + std::to_string(n) + " bytes): truncated");
    }
    size_t p = at + 12;
    while (true) {
      if (p + 2 > end) corrupt(name + " has no SOD");
      if (be16(d + p) == SOD) break;
      const Segment g = segment(in, p, end, "tile-part header");
      if (g.marker == COD || g.marker == QCD) {
        const uint8_t* main = g.marker == COD ? cod : qcd;
        const size_t main_size = g.marker == COD ? cod_size : qcd_size;
        if (g.size != main_size || std::memcmp(g.body, main, g.size)) unsupported("coding parameters per tile");
      } else if (g.marker == COC || g.marker == QCC || g.marker == RGN || g.marker == POC) {
        unsupported("coding parameters per tile");
      } else if (g.marker == PPT) {
        unsupported("packed packet headers (PPT)");
      } else if (g.marker != PLT && g.marker != COM) {
        corrupt("unexpected marker " + hex(g.marker) + " in " + name);
      }
      p = g.end;
    }
    // Packet data never holds a marker code, 0xFF then 0x90 or more (A.1; the HT segments are stuffed to avoid them
    // too, 15444-15 7.1), but SOP and EPH where COD allows them. OpenJPH 0.9.0, built with assertions as packaged,
    // aborts the process on one inside a MEL segment: refuse them here.
    const bool sop = cod[0] & 2, eph = cod[0] & 4;
    for (const uint8_t* q = d + p + 2; (q = static_cast<const uint8_t*>(std::memchr(q, 0xFF, d + end - q))); ++q)
      if (q + 1 < d + end && q[1] > 0x8F && !(sop && q[1] == 0x91) && !(eph && q[1] == 0x92))
        corrupt("a marker code " + hex(be16(q)) + " inside the data of " + name);
    ++parts_seen[tile];
    at = end;
  }
  for (size_t t = 0; t < tiles; ++t)
    if (!parts_seen[t] || (parts_total[t] && parts_seen[t] != parts_total[t]))
      corrupt("tile " + std::to_string(t) + " has " + std::to_string(parts_seen[t]) + " of its " +
              std::to_string(parts_total[t] ? parts_total[t] : 1) + "+ tile-parts: truncated");
  if (at + 2 > n || be16(d + at) != EOC)
    corrupt("no EOC after the last tile-part (byte " + std::to_string(at) + " of " + std::to_string(n) +
            "): truncated");

  {  // OpenJPH 0.9.0's empty-precinct bug (axis_kinds): refuse rather than misread
    const uint32_t cols = static_cast<uint32_t>(tiles_x), levels = h.levels;
    kinds.assign((tiles_x + tiles_y) * (levels + 1), 0);
    for (uint32_t i = 0; i < tiles_x + tiles_y; ++i) {
      const bool x = i < cols;
      const uint64_t j = x ? i : i - cols, t0 = x ? tx0 : ty0, size = x ? tw : th;
      const uint32_t a0 = static_cast<uint32_t>(std::max<uint64_t>(t0 + j * size, x ? h.x0 : h.y0));
      const uint32_t a1 = static_cast<uint32_t>(std::min<uint64_t>(t0 + (j + 1) * size, x ? h.x1 : h.y1));
      for (uint32_t r = 1; r <= levels; ++r) {
        const unsigned pp = cod[0] & 1 ? (x ? cod[10 + r] & 0x0F : cod[10 + r] >> 4) : 15;
        kinds[i * (levels + 1) + r] = static_cast<uint8_t>(axis_kinds(a0, a1, levels - r, pp, (x ? xcb : ycb) + 2));
      }
    }
    for (uint32_t ty = 0; ty < tiles_y; ++ty)
      for (uint32_t tx = 0; tx < tiles_x; ++tx)
        for (uint32_t r = 1; r <= levels; ++r)
          if (precinct_without_blocks(kinds[tx * (levels + 1) + r], kinds[(cols + ty) * (levels + 1) + r]))
            unsupported("a precinct without code-blocks (resolution level " + std::to_string(r) + " of tile " +
                        std::to_string(ty * cols + tx) + ")");
  }

  range.resize(components);
  for (size_t c = 0; c < components; ++c) {
    const unsigned depth = (s[36 + 3 * c] & 0x7Fu) + 1;
    const bool sgn = s[36 + 3 * c] & 0x80;
    const int64_t lo = sgn ? -(int64_t{1} << (depth - 1)) : 0, hi = (int64_t{1} << (depth - (sgn ? 1 : 0))) - 1;
    // A 32-bit unsigned component comes out of OpenJPH modulo 2^32 (its level shift wraps): leave it alone.
    range[c] = depth == 32
                   ? Htj2kRange{INT32_MIN, INT32_MAX}
                   : Htj2kRange{static_cast<int32_t>(lo), static_cast<int32_t>(std::min<int64_t>(hi, INT32_MAX))};
  }
  return h;
}

}  // namespace framecodec
