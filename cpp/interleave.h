// Interleaving of byte planes: the layout change between RLE segments (one byte plane each, PS3.5 G.2)
// and pixels (samples interleaved, each sample's bytes little-endian).
#pragma once
#include "span.h"

namespace framecodec {

// out[i * k + j] = planes[j][i] for i < n and j < k. AVX2 paths for k = 2, 3 and 4 (16-bit grey,
// 8-bit RGB, 32-bit grey), compiler-vectorized loops for them otherwise, strided passes for larger k.
void interleave_planes(const uint8_t* const* planes, size_t k, size_t n, uint8_t* out);

// plane[i] = in[i * k + j] for i < n: one byte plane out of k interleaved ones. SSSE3 shuffles for k = 3,
// compiler-vectorized loops for k = 2 and 4, a strided loop otherwise.
void extract_plane(const uint8_t* in, size_t k, size_t j, size_t n, uint8_t* plane);

}  // namespace framecodec
