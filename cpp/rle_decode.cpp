// RLE Lossless decoding (PS3.5 G.3.2 the decoder, G.4 the frame, G.5 the header).
//
// Each segment is PackBits-decoded straight into its destination when that is contiguous (one segment
// per plane: 8-bit grey, 1-bit, planar 8-bit colour). Otherwise every segment of a pixel is decoded
// 2048 bytes at a time into an L1-resident stack buffer and the buffers are interleaved into the output
// with SIMD: a strided byte-by-byte scatter would cost more than the decoding itself.
// Where the input and the destination have room, a run is copied with one 32-byte vector move, or four
// when it is longer than 32 bytes, whatever its exact length: the hot loop has one predictable branch
// per run instead of a length-dependent copy. The exact path handles the last bytes of a destination and
// of the input; a run that crosses the end of a chunk finishes at the start of the next one.
#include <algorithm>
#include <cstring>
#include <string>

#include "cpu.h"
#include "errors.h"
#include "interleave.h"
#include "le.h"
#include "rle.h"

namespace framecodec {
namespace {

constexpr size_t kHeaderSize = 64;  // PS3.5 G.5: 16 little-endian uint32: segment count, 15 offsets
constexpr size_t kMaxSegments = 15;
constexpr size_t kMaxRun = 128;     // PS3.5 G.3.1: one header byte covers 1 to 128 bytes
constexpr size_t kChunk = 2048;     // bytes of each segment decoded before interleaving
constexpr size_t kSlack = kMaxRun;  // a fast-path run may write up to 127 bytes past its chunk

#define FC_INLINE inline __attribute__((always_inline))

// Moves written with GCC's generic vectors, once: each instantiation compiles to its instruction set's
// moves, 16-byte vectors for the baseline (SSE2, NEON) and 32-byte ones for AVX2 (memcpy of 32 bytes stays
// two 16-byte moves even with AVX2 under GCC's tuning). V holds a value, U reads and writes memory.
template <size_t N>
struct Vectors {
  typedef uint8_t V __attribute__((vector_size(N)));
  typedef uint8_t U __attribute__((vector_size(N), aligned(1), may_alias));
};
using Vec16 = Vectors<16>;
using Vec32 = Vectors<32>;

template <class W>
FC_INLINE void copy32(uint8_t* d, const uint8_t* s) {
  using U = typename W::U;
  for (size_t i = 0; i < 32; i += sizeof(U)) *reinterpret_cast<U*>(d + i) = *reinterpret_cast<const U*>(s + i);
}

template <class W>
FC_INLINE void fill32(uint8_t* d, typename W::V v) {
  using U = typename W::U;
  for (size_t i = 0; i < 32; i += sizeof(U)) *reinterpret_cast<U*>(d + i) = v;
}

// One segment being decoded, possibly across several fill() calls.
struct Segment {
  const uint8_t* begin = nullptr;     // first byte of the segment's data
  const uint8_t* p = nullptr;         // next header byte
  const uint8_t* end = nullptr;       // end of the segment's data
  const uint8_t* fast_end = nullptr;  // a header below this has 128 readable input bytes after it
  size_t left = 0;                    // bytes of a run cut off by the end of the previous fill
  const uint8_t* lit = nullptr;       // where they are copied from, or nullptr: `value` repeated
  uint8_t value = 0;
  size_t decoded = 0;  // bytes produced so far
  size_t number = 0;   // 1-based, as PS3.5 G.5 counts segments
  size_t count = 0;    // segments in the frame
};

std::string name(const Segment& s) { return "segment " + std::to_string(s.number) + " of " + std::to_string(s.count); }

[[noreturn]] void run_past_end(const Segment& s, const uint8_t* header, size_t run, bool literal) {
  const size_t at = static_cast<size_t>(header - s.begin);
  const size_t left = static_cast<size_t>(s.end - header) - 1;
  throw DecodeError(name(s) + ": " + (literal ? "literal" : "replicate") + " run of " + std::to_string(run) +
                    " bytes at segment byte " + std::to_string(at) + " runs past the end of the segment's data (" +
                    std::to_string(left) + (left == 1 ? " byte" : " bytes") + " left)");
}

[[noreturn]] void decodes_short(const Segment& s, size_t expected) {
  throw DecodeError(name(s) + " decodes to " + std::to_string(s.decoded) + " bytes, " +
                    std::to_string(expected - s.decoded) + " short of the " + std::to_string(expected) +
                    " expected (rows x columns)");
}

// Decodes the next n bytes of segment s into d. Returns n, or fewer when the segment's data ends.
// With Slack, d has kSlack writable bytes after d + n and a run may run into them; what it wrote there
// becomes the start of the next fill (d must then be the same buffer each time).
template <bool Slack, class W>
FC_INLINE size_t fill(Segment& s, uint8_t* const d0, const size_t n) {
  uint8_t* d = d0;
  uint8_t* const d_end = d0 + n;
  if (s.left) {  // the rest of a run cut off by the end of the previous fill
    const size_t k = std::min(s.left, n);
    if (s.lit) {
      std::memmove(d, s.lit, k);
      s.lit += k;
    } else {
      std::memset(d, s.value, k);
    }
    s.left -= k;
    d += k;
  }
  const uint8_t* p = s.p;
  const uint8_t* const end = s.end;

  // Fast path: a run writes 32 or 128 bytes (the destination has room) and a literal reads as many (the
  // input has them); the bytes past the run's length are overwritten by the runs that follow.
  uint8_t* const d_fast = Slack ? d_end : (n >= kMaxRun ? d_end - (kMaxRun - 1) : d0);
  const uint8_t* const p_fast = s.fast_end;
  while (d < d_fast && p < p_fast) {
    const unsigned h = *p++;
    if (h < 128) {  // literal run of h + 1 bytes
      const size_t len = h + 1;
      if (len > static_cast<size_t>(end - p)) {  // the exact path names the error or takes the pad byte
        --p;
        break;
      }
      // Most runs in noisy planes are short: one 32-byte move, the other 96 bytes only when needed.
      copy32<W>(d, p);
      if (len > 32) {
        copy32<W>(d + 32, p + 32);
        copy32<W>(d + 64, p + 64);
        copy32<W>(d + 96, p + 96);
      }
      d += len;
      p += len;
    } else if (h > 128) {  // replicate run: the next byte 257 - h times
      if (p == end) {
        --p;
        break;
      }
      const size_t len = 257 - h;
      const typename W::V v = typename W::V{} + *p++;  // broadcast
      fill32<W>(d, v);
      if (len > 32) {
        fill32<W>(d + 32, v);
        fill32<W>(d + 64, v);
        fill32<W>(d + 96, v);
      }
      d += len;
    }  // 128 (-128 as int8): no operation, PS3.5 G.3.2
  }
  if (Slack && d > d_end) {  // the last run crossed the chunk's end: its tail waits in the slack
    s.left = static_cast<size_t>(d - d_end);
    s.lit = d_end;
    d = d_end;
  }

  // Exact path: copy only what fits, keep the rest of a run for the next fill.
  while (d < d_end && p < end) {
    const uint8_t* const header = p;
    const unsigned h = *p++;
    if (h < 128) {
      const size_t len = h + 1;
      const size_t avail = static_cast<size_t>(end - p);
      if (len > avail) {
        if (h == 0 && avail == 0) break;  // the 0x00 that pads an odd-length segment (PS3.5 G.3)
        run_past_end(s, header, len, true);
      }
      const size_t k = std::min(len, static_cast<size_t>(d_end - d));
      std::memcpy(d, p, k);
      if (k < len) {
        s.left = len - k;
        s.lit = p + k;
      }
      d += k;
      p += len;
    } else if (h > 128) {
      const size_t len = 257 - h;
      if (p == end) run_past_end(s, header, len, false);
      const uint8_t v = *p++;
      const size_t k = std::min(len, static_cast<size_t>(d_end - d));
      std::memset(d, v, k);
      if (k < len) {
        s.left = len - k;
        s.lit = nullptr;
        s.value = v;
      }
      d += k;
    }
  }
  s.p = p;
  const size_t got = static_cast<size_t>(d - d0);
  s.decoded += got;
  return got;
}

// k segments that fill one run of output: out[i * k + j] comes from segs[j].
struct Group {
  Segment* segs[kMaxSegments];
  size_t k = 0;
  uint8_t* out = nullptr;
};

template <class W>  // the vectors of the instruction set the caller is compiled for
FC_INLINE void decode_group(const Group& g, size_t pixels) {
  if (g.k == 1) {
    Segment& s = *g.segs[0];
    if (fill<false, W>(s, g.out, pixels) < pixels) decodes_short(s, pixels);
    return;
  }
  alignas(64) uint8_t scratch[kMaxSegments][kChunk + kSlack];
  const uint8_t* planes[kMaxSegments];
  for (size_t j = 0; j < g.k; ++j) planes[j] = scratch[j];
  for (size_t start = 0; start < pixels; start += kChunk) {
    const size_t n = std::min(kChunk, pixels - start);
    for (size_t j = 0; j < g.k; ++j)
      if (fill<true, W>(*g.segs[j], scratch[j], n) < n) decodes_short(*g.segs[j], pixels);
    interleave_planes(planes, g.k, n, g.out + start * g.k);
  }
}

void decode_groups_portable(const Group* groups, size_t count, size_t pixels) {
  for (size_t i = 0; i < count; ++i) decode_group<Vec16>(groups[i], pixels);
}

#if FRAMECODEC_X86
__attribute__((target("avx2"))) void decode_groups_avx2(const Group* groups, size_t count, size_t pixels) {
  for (size_t i = 0; i < count; ++i) decode_group<Vec32>(groups[i], pixels);
}
#endif

// Reads and checks the header (PS3.5 G.5); sets up one Segment per offset.
size_t parse_header(ConstBytes in, size_t expected, Segment* segs) {
  if (in.size < kHeaderSize)
    throw DecodeError("RLE frame of " + std::to_string(in.size) + " bytes is shorter than its 64-byte header");
  const size_t count = load_le32(in.data);
  if (count == 0 || count > kMaxSegments)
    throw DecodeError("RLE header gives " + std::to_string(count) + " segments; it must be 1 to 15");
  if (count != expected)
    throw DecodeError("RLE header gives " + std::to_string(count) + (count == 1 ? " segment" : " segments") +
                      " but the frame's layout needs " + std::to_string(expected));
  const uint8_t* const in_end = in.data + in.size;
  // A header below in_end - 128 has a full 128-byte literal after it inside the input.
  const uint8_t* const in_fast = in.size > kMaxRun ? in_end - kMaxRun : in.data;
  size_t prev = 0;
  for (size_t i = 0; i < count; ++i) {
    const size_t off = load_le32(in.data + 4 + 4 * i);
    const std::string which = "segment " + std::to_string(i + 1) + " of " + std::to_string(count);
    if (off < kHeaderSize)
      throw DecodeError("RLE header: " + which + " starts at byte " + std::to_string(off) +
                        ", inside the 64-byte header");
    if (i > 0 && off <= prev)
      throw DecodeError("RLE header: segment offsets out of order: " + which + " starts at byte " +
                        std::to_string(off) + ", segment " + std::to_string(i) + " at byte " + std::to_string(prev));
    if (off >= in.size)
      throw DecodeError("RLE header: " + which + " starts at byte " + std::to_string(off) +
                        ", at or past the end of the " + std::to_string(in.size) + "-byte frame");
    Segment& s = segs[i];
    s.begin = s.p = in.data + off;
    s.number = i + 1;
    s.count = count;
    if (i > 0) segs[i - 1].end = s.begin;
    prev = off;
  }
  segs[count - 1].end = in_end;
  for (size_t i = 0; i < count; ++i) segs[i].fast_end = std::min(segs[i].end, in_fast);
  return count;
}

}  // namespace

void rle_decode(ConstBytes in, const RleFrame& f, RleSegmentOrder order, bool planar, MutBytes out) {
  rle_check_frame(f);
  const size_t size = rle_decoded_size(f);
  if (out.size != size)
    throw std::invalid_argument("rle_decode: output must be " + std::to_string(size) + " bytes, got " +
                                std::to_string(out.size));
  const size_t bps = rle_bytes_per_sample(f);
  const size_t spp = f.samples_per_pixel;
  const size_t pixels = f.rows * f.columns;

  Segment segs[kMaxSegments];
  parse_header(in, spp * bps, segs);

  // Segment s * bps + i holds byte plane i of sample s, most significant first (PS3.5 G.2) unless the
  // data uses the little-endian order. Output byte b of a sample (0 = least significant) comes from:
  auto segment_for = [&](size_t sample, size_t b) -> Segment* {
    return &segs[sample * bps + (order == RleSegmentOrder::MsbFirst ? bps - 1 - b : b)];
  };
  Group groups[kMaxSegments];
  size_t ngroups = 0;
  if (planar || spp * bps == 1) {
    for (size_t sample = 0; sample < spp; ++sample) {  // one plane per sample, bps bytes per pixel
      Group& g = groups[ngroups++];
      g.k = bps;
      g.out = out.data + sample * pixels * bps;
      for (size_t b = 0; b < bps; ++b) g.segs[b] = segment_for(sample, b);
    }
  } else {  // all samples of a pixel together
    Group& g = groups[ngroups++];
    g.k = spp * bps;
    g.out = out.data;
    for (size_t sample = 0; sample < spp; ++sample)
      for (size_t b = 0; b < bps; ++b) g.segs[sample * bps + b] = segment_for(sample, b);
  }
#if FRAMECODEC_X86
  if (cpu_has_avx2()) return decode_groups_avx2(groups, ngroups, pixels);
#endif
  decode_groups_portable(groups, ngroups, pixels);
}

}  // namespace framecodec
