// RLE Lossless encoding (PS3.5 G.3.1 the encoder, G.4 the frame, G.5 the header).
//
// Segments are written one after the other, each row of a segment encoded on its own (G.3.1). A row is
// scanned with SIMD for the next pair of equal bytes; the bytes before it join the open literal run.
// Runs of three or more equal bytes become replicate runs. A two-byte repeat becomes part of the
// literal around it when that is not longer, as G.3.1's note suggests. The decision is made greedily
// against the literal stretch that follows; it only ever saves literal header bytes relative to
// pydicom's encoder (which makes every repeat of two a replicate run), so the output is never larger.
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "bitpack.h"
#include "interleave.h"
#include "le.h"
#include "rle.h"

#if defined(__x86_64__) || defined(__i386__)
#include <emmintrin.h>
#define FRAMECODEC_SSE2 1
#endif

namespace framecodec {
namespace {

constexpr size_t kMaxRun = 128;  // PS3.5 G.3.1: runs of 1 to 128 bytes

// Literal headers a literal stretch of `len` bytes needs.
inline size_t headers(size_t len) { return (len + kMaxRun - 1) / kMaxRun; }

// Index of the first j in [i, n - 1) with s[j] == s[j + 1], or n when there is none.
inline size_t find_pair(const uint8_t* s, size_t i, size_t n) {
#if FRAMECODEC_SSE2
  for (; i + 17 <= n; i += 16) {
    const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i));
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i + 1));
    const unsigned m = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(a, b)));
    if (m) return i + static_cast<size_t>(__builtin_ctz(m));
  }
#endif
  for (; i + 1 < n; ++i)
    if (s[i] == s[i + 1]) return i;
  return n;
}

// Number of bytes equal to s[j] from j on, where s[j + 1] == s[j].
inline size_t run_length(const uint8_t* s, size_t j, size_t n) {
  const uint8_t v = s[j];
  size_t k = j + 2;
  if (k >= n || s[k] != v) return 2;  // most repeats in noisy rows: no vector work for them
  ++k;
#if FRAMECODEC_SSE2
  const __m128i vv = _mm_set1_epi8(static_cast<char>(v));
  for (; k + 16 <= n; k += 16) {
    const unsigned m = static_cast<unsigned>(
        _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s + k)), vv)));
    if (m != 0xffff) return k + static_cast<size_t>(__builtin_ctz(~m)) - j;
  }
#endif
  while (k < n && s[k] == v) ++k;
  return k - j;
}

// Literal runs for s[0, len): full runs of 128 first, as pydicom writes them. Header byte: count - 1.
inline uint8_t* put_literal(uint8_t* o, const uint8_t* s, size_t len) {
  for (; len > kMaxRun; len -= kMaxRun, s += kMaxRun) {
    *o++ = kMaxRun - 1;
    std::memcpy(o, s, kMaxRun);
    o += kMaxRun;
  }
  if (len) {
    *o++ = static_cast<uint8_t>(len - 1);
    std::memcpy(o, s, len);
    o += len;
  }
  return o;
}

// One replicate run of 2 to 128 bytes. Header byte: 1 - count as int8.
inline uint8_t* put_replicate(uint8_t* o, uint8_t v, size_t count) {
  o[0] = static_cast<uint8_t>(257 - count);
  o[1] = v;
  return o + 2;
}

// Encodes one row s[0, n) at o; returns the end. Writes at most n + n / 3 + 2 bytes. It never writes more
// than pydicom's row encoder (a merge or a remainder joining a literal only saves literal headers), which
// writes a stretch of L single bytes in L + ceil(L / 128) bytes and the run of r >= 2 bytes that ends it in
// at most r: at most 4/3 of the bytes they cover, plus 1 for a stretch that ends the row.
uint8_t* encode_row(const uint8_t* s, size_t n, uint8_t* o) {
  size_t lit = 0;                    // start of the open literal stretch
  size_t next = find_pair(s, 0, n);  // start of the next repeat
  while (next < n) {
    const size_t j = next;
    const size_t r = run_length(s, j, n);
    if (r == 2) {
      // Merge into the literal when there is one on both sides and merging adds no literal header:
      // ceil((A + 2 + B) / 128) <= ceil(A / 128) + ceil(B / 128).
      const size_t a = j - lit;
      next = find_pair(s, j + 2, n);
      const size_t b = next - (j + 2);
      if (a > 0 && b > 0 && headers(a + 2 + b) <= headers(a) + headers(b)) continue;
      o = put_literal(o, s + lit, a);
      o = put_replicate(o, s[j], 2);
      lit = j + 2;
      continue;
    }
    // Three or more: replicate runs of 128, then the remainder (G.3.1: three-byte repeats shall be
    // replicate runs). A remainder of one byte opens the next literal instead of taking a run of its own.
    o = put_literal(o, s + lit, j - lit);
    size_t left = r;
    for (; left >= kMaxRun; left -= kMaxRun) o = put_replicate(o, s[j], kMaxRun);
    if (left >= 2) o = put_replicate(o, s[j], left);
    lit = j + r - (left == 1);
    next = find_pair(s, j + r, n);
  }
  return put_literal(o, s + lit, n - lit);
}

}  // namespace

size_t rle_encode(ConstBytes pixels, const RleFrame& f, RleInput kind, MutBytes out) {
  rle_check_frame(f);
  if (kind == RleInput::PackedBits && f.bits_allocated != 1)
    throw std::invalid_argument("packed bits are for bits_allocated 1 only, got " + std::to_string(f.bits_allocated));
  const size_t expected = rle_encode_input_size(f, kind);
  if (pixels.size != expected)
    throw std::invalid_argument("rle_encode: a " + std::to_string(f.rows) + " x " + std::to_string(f.columns) +
                                " frame of " + std::to_string(f.samples_per_pixel) + " samples of " +
                                std::to_string(f.bits_allocated) + " bits is " + std::to_string(expected) +
                                (kind == RleInput::PackedBits ? " packed" : "") + " bytes, got " +
                                std::to_string(pixels.size));
  if (out.size < rle_encode_bound(f))
    throw std::invalid_argument("rle_encode: output must hold " + std::to_string(rle_encode_bound(f)) + " bytes, got " +
                                std::to_string(out.size));

  const size_t rows = f.rows, cols = f.columns;
  const size_t bps = rle_bytes_per_sample(f);
  const size_t nseg = rle_segment_count(f);
  const bool direct = nseg == 1 && f.bits_allocated != 1;  // rows are contiguous in the input as they are
  std::vector<uint8_t> row(direct ? 0 : cols);

  uint8_t* const o0 = out.data;
  std::memset(o0, 0, 64);  // PS3.5 G.5: unused offsets are zero
  uint8_t* o = o0 + 64;
  store_le32(o0, static_cast<uint32_t>(nseg));
  for (size_t seg = 0; seg < nseg; ++seg) {
    if (static_cast<size_t>(o - o0) > UINT32_MAX)
      throw std::invalid_argument("rle_encode: the encoded frame passes 4 GiB, beyond the header's 32-bit offsets");
    store_le32(o0 + 4 + 4 * seg, static_cast<uint32_t>(o - o0));  // checked above: fits 32 bits
    // Segment sample * bps + i is byte plane i of the sample, most significant first (G.2); in the
    // little-endian input that byte sits at sample * bps + (bps - 1 - i) within the pixel.
    const size_t sample = seg / bps;
    const size_t byte = sample * bps + (bps - 1 - seg % bps);
    const uint8_t* const segment_start = o;
    for (size_t y = 0; y < rows; ++y) {
      const uint8_t* src;
      if (direct) {
        src = pixels.data + y * cols;
      } else if (kind == RleInput::PackedBits) {
        unpack_bits(pixels, y * cols, {row.data(), cols});
        src = row.data();
      } else if (f.bits_allocated == 1) {  // one byte per pixel, non-zero is 1 (the Padded Composite Pixel Code)
        const uint8_t* p = pixels.data + y * cols;
        for (size_t x = 0; x < cols; ++x) row[x] = p[x] != 0;
        src = row.data();
      } else {
        extract_plane(pixels.data + y * cols * nseg, nseg, byte, cols, row.data());
        src = row.data();
      }
      o = encode_row(src, cols, o);
    }
    if ((o - segment_start) % 2) *o++ = 0;  // G.3: each segment padded to even length
  }
  return static_cast<size_t>(o - o0);
}

}  // namespace framecodec
