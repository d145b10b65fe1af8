#include "interleave.h"

#include "cpu.h"
#if FRAMECODEC_X86
#include <immintrin.h>
#endif

namespace framecodec {
namespace {

// Constant k lets the compiler vectorize the grouped stores (SSE2 and NEON zip/interleave).
template <size_t K>
void interleave_fixed(const uint8_t* const* planes, size_t from, size_t n, uint8_t* out) {
  const uint8_t* p[K];
  for (size_t j = 0; j < K; ++j) p[j] = planes[j];
  for (size_t i = from; i < n; ++i)
    for (size_t j = 0; j < K; ++j) out[i * K + j] = p[j][i];
}

void interleave_portable(const uint8_t* const* planes, size_t k, size_t from, size_t n, uint8_t* out) {
  switch (k) {
    case 2: return interleave_fixed<2>(planes, from, n, out);
    case 3: return interleave_fixed<3>(planes, from, n, out);
    case 4: return interleave_fixed<4>(planes, from, n, out);
    default:
      // Plane by plane: k strided passes over an output that the caller keeps small enough for L1.
      for (size_t j = 0; j < k; ++j) {
        const uint8_t* p = planes[j];
        uint8_t* o = out + j;
        for (size_t i = from; i < n; ++i) o[i * k] = p[i];
      }
  }
}

#if FRAMECODEC_X86
#define FC_AVX2 __attribute__((target("avx2")))
FC_AVX2 inline __m256i load(const uint8_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
FC_AVX2 inline void store(uint8_t* p, __m256i v) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v); }

// Each returns the number of pixels done (a multiple of 32); the portable loop finishes the rest.
FC_AVX2 size_t interleave2_avx2(const uint8_t* a, const uint8_t* b, size_t n, uint8_t* o) {
  size_t i = 0;
  for (; i + 32 <= n; i += 32, o += 64) {
    __m256i x = load(a + i), y = load(b + i);
    __m256i lo = _mm256_unpacklo_epi8(x, y), hi = _mm256_unpackhi_epi8(x, y);  // pixels 0-7|16-23, 8-15|24-31
    store(o, _mm256_permute2x128_si256(lo, hi, 0x20));
    store(o + 32, _mm256_permute2x128_si256(lo, hi, 0x31));
  }
  return i;
}

FC_AVX2 size_t interleave4_avx2(const uint8_t* a, const uint8_t* b, const uint8_t* c, const uint8_t* d, size_t n,
                                uint8_t* o) {
  size_t i = 0;
  for (; i + 32 <= n; i += 32, o += 128) {
    __m256i x = load(a + i), y = load(b + i), z = load(c + i), w = load(d + i);
    __m256i xy0 = _mm256_unpacklo_epi8(x, y), xy1 = _mm256_unpackhi_epi8(x, y);
    __m256i zw0 = _mm256_unpacklo_epi8(z, w), zw1 = _mm256_unpackhi_epi8(z, w);
    __m256i q0 = _mm256_unpacklo_epi16(xy0, zw0);  // pixels 0-3   | 16-19
    __m256i q1 = _mm256_unpackhi_epi16(xy0, zw0);  // pixels 4-7   | 20-23
    __m256i q2 = _mm256_unpacklo_epi16(xy1, zw1);  // pixels 8-11  | 24-27
    __m256i q3 = _mm256_unpackhi_epi16(xy1, zw1);  // pixels 12-15 | 28-31
    store(o, _mm256_permute2x128_si256(q0, q1, 0x20));
    store(o + 32, _mm256_permute2x128_si256(q2, q3, 0x20));
    store(o + 64, _mm256_permute2x128_si256(q0, q1, 0x31));
    store(o + 96, _mm256_permute2x128_si256(q2, q3, 0x31));
  }
  return i;
}

// Shuffle masks for three planes: output byte m of a 16-pixel group (48 bytes) is plane m % 3, pixel m / 3.
struct Masks3 {
  alignas(16) int8_t m[3][3][16];  // [output vector t][plane j][byte]
  constexpr Masks3() : m{} {
    for (int t = 0; t < 3; ++t)
      for (int j = 0; j < 3; ++j)
        for (int q = 0; q < 16; ++q) {
          const int at = 16 * t + q;
          m[t][j][q] = static_cast<int8_t>(at % 3 == j ? at / 3 : -128);  // -128: pshufb writes zero
        }
  }
};
constexpr Masks3 kMasks3{};

FC_AVX2 size_t interleave3_avx2(const uint8_t* a, const uint8_t* b, const uint8_t* c, size_t n, uint8_t* o) {
  __m256i m[3][3];
  for (int t = 0; t < 3; ++t)
    for (int j = 0; j < 3; ++j)
      m[t][j] = _mm256_broadcastsi128_si256(_mm_load_si128(reinterpret_cast<const __m128i*>(kMasks3.m[t][j])));
  size_t i = 0;
  for (; i + 32 <= n; i += 32, o += 96) {
    // Each 128-bit lane interleaves its own 16 pixels into three 16-byte vectors.
    __m256i x = load(a + i), y = load(b + i), z = load(c + i);
    __m256i v[3];
    for (int t = 0; t < 3; ++t)
      v[t] = _mm256_or_si256(_mm256_or_si256(_mm256_shuffle_epi8(x, m[t][0]), _mm256_shuffle_epi8(y, m[t][1])),
                             _mm256_shuffle_epi8(z, m[t][2]));
    // Lane 0 holds output bytes 0-47 of pixels 0-15 (v0, v1, v2), lane 1 those of pixels 16-31.
    store(o, _mm256_permute2x128_si256(v[0], v[1], 0x20));
    store(o + 32, _mm256_permute2x128_si256(v[2], v[0], 0x30));
    store(o + 64, _mm256_permute2x128_si256(v[1], v[2], 0x31));
  }
  return i;
}

#endif

}  // namespace

void interleave_planes(const uint8_t* const* planes, size_t k, size_t n, uint8_t* out) {
  size_t done = 0;
#if FRAMECODEC_X86
  if (cpu_has_avx2()) {
    if (k == 2) done = interleave2_avx2(planes[0], planes[1], n, out);
    if (k == 3) done = interleave3_avx2(planes[0], planes[1], planes[2], n, out);
    if (k == 4) done = interleave4_avx2(planes[0], planes[1], planes[2], planes[3], n, out);
  }
#endif
  interleave_portable(planes, k, done, n, out);
}

namespace {

template <size_t K>  // a constant stride the compiler can vectorize (it does for 2 and 4)
void extract_fixed(const uint8_t* p, size_t from, size_t n, uint8_t* plane) {
  for (size_t i = from; i < n; ++i) plane[i] = p[i * K];
}

#if FRAMECODEC_X86
// Shuffle masks to take plane j out of three: output byte q is input byte 3q + j, in input vector (3q + j) / 16.
struct Extract3 {
  alignas(16) int8_t m[3][3][16];  // [plane j][input vector t][byte q]
  constexpr Extract3() : m{} {
    for (int j = 0; j < 3; ++j)
      for (int t = 0; t < 3; ++t)
        for (int q = 0; q < 16; ++q) {
          const int at = 3 * q + j;
          m[j][t][q] = static_cast<int8_t>(at / 16 == t ? at % 16 : -128);
        }
  }
};
constexpr Extract3 kExtract3{};

// 16 pixels (48 bytes) per step: three shuffles, two ors. Returns the pixels done.
__attribute__((target("ssse3"))) size_t extract3_ssse3(const uint8_t* in, size_t j, size_t n, uint8_t* plane) {
  const __m128i* m = reinterpret_cast<const __m128i*>(kExtract3.m[j]);
  const __m128i m0 = _mm_load_si128(m), m1 = _mm_load_si128(m + 1), m2 = _mm_load_si128(m + 2);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m128i* v = reinterpret_cast<const __m128i*>(in + 3 * i);
    const __m128i x = _mm_or_si128(
        _mm_or_si128(_mm_shuffle_epi8(_mm_loadu_si128(v), m0), _mm_shuffle_epi8(_mm_loadu_si128(v + 1), m1)),
        _mm_shuffle_epi8(_mm_loadu_si128(v + 2), m2));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(plane + i), x);
  }
  return i;
}

#endif

}  // namespace

void extract_plane(const uint8_t* in, size_t k, size_t j, size_t n, uint8_t* plane) {
  const uint8_t* p = in + j;
  switch (k) {
    case 2: return extract_fixed<2>(p, 0, n, plane);
    case 3: {
      size_t done = 0;
#if FRAMECODEC_X86
      if (cpu_has_ssse3()) done = extract3_ssse3(in, j, n, plane);
#endif
      return extract_fixed<3>(p, done, n, plane);
    }
    case 4: return extract_fixed<4>(p, 0, n, plane);
    default:
      for (size_t i = 0; i < n; ++i) plane[i] = p[i * k];
  }
}

}  // namespace framecodec
