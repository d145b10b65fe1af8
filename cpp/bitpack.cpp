#include "bitpack.h"

#include <array>
#include <cstring>
#include <stdexcept>
#include <string>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace framecodec {
namespace {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the word-at-a-time code assumes a little-endian host");

// kSpread[b] holds the 8 bits of b as 8 bytes of 0/1, bit 0 in the lowest-addressed byte.
constexpr std::array<uint64_t, 256> make_spread() {
  std::array<uint64_t, 256> t{};
  for (unsigned b = 0; b < 256; ++b)
    for (unsigned i = 0; i < 8; ++i) t[b] |= static_cast<uint64_t>((b >> i) & 1u) << (8 * i);
  return t;
}
constexpr std::array<uint64_t, 256> kSpread = make_spread();

inline void spread8(uint8_t b, uint8_t* out) { std::memcpy(out, &kSpread[b], 8); }

// Packs 8 values (non-zero is 1) into one byte, first value in bit 0.
inline uint8_t pack8(const uint8_t* in) {
  uint64_t x;
  std::memcpy(&x, in, 8);
  // Set the top bit of every non-zero byte, then gather the top bits: byte i lands in bit i.
  const uint64_t lo7 = 0x7f7f7f7f7f7f7f7full;
  x = (((x & lo7) + lo7) | x) & 0x8080808080808080ull;
  return static_cast<uint8_t>(((x >> 7) * 0x0102040810204080ull) >> 56);
}

}  // namespace

void pack_bits(ConstBytes values, MutBytes out) {
  if (out.size != packed_size(values.size))
    throw std::invalid_argument("pack_bits: output must be " + std::to_string(packed_size(values.size)) + " bytes");
  const uint8_t* in = values.data;
  uint8_t* o = out.data;
  size_t n = values.size;
#if defined(__SSE2__)
  // 16 values -> 2 bytes: compare with zero, then movemask puts byte i's result in bit i.
  const __m128i zero = _mm_setzero_si128();
  for (; n >= 16; n -= 16, in += 16, o += 2) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in));
    unsigned mask = ~static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, zero))) & 0xffffu;
    o[0] = static_cast<uint8_t>(mask);
    o[1] = static_cast<uint8_t>(mask >> 8);
  }
#endif
  for (; n >= 8; n -= 8, in += 8) *o++ = pack8(in);
  if (n > 0) {
    uint8_t last = 0;
    for (size_t i = 0; i < n; ++i) last |= static_cast<uint8_t>((in[i] != 0) << i);
    *o = last;
  }
}

void unpack_bits(ConstBytes packed, size_t bit_offset, MutBytes out) {
  const size_t count = out.size;
  if (bit_offset > SIZE_MAX - count || packed.size < packed_size(bit_offset + count))
    throw std::invalid_argument("unpack_bits: " + std::to_string(count) + " bits at bit offset " +
                                std::to_string(bit_offset) + " need " +
                                std::to_string(packed_size(bit_offset + count)) + " bytes, got " +
                                std::to_string(packed.size));
  const uint8_t* p = packed.data + bit_offset / 8;
  const unsigned shift = bit_offset % 8;
  uint8_t* o = out.data;
  const size_t groups = count / 8;
  if (shift == 0) {
    for (size_t i = 0; i < groups; ++i) spread8(p[i], o + 8 * i);
  } else {
    // Group i's bits straddle bytes i and i+1; byte i+1 exists because the group's last bit is in it.
    for (size_t i = 0; i < groups; ++i)
      spread8(static_cast<uint8_t>((p[i] >> shift) | (p[i + 1] << (8 - shift))), o + 8 * i);
  }
  for (size_t bit = groups * 8; bit < count; ++bit) {
    const size_t at = shift + bit;
    o[bit] = (p[at / 8] >> (at % 8)) & 1u;
  }
}

}  // namespace framecodec
