// Packing of 1-bit pixels in DICOM order: pixel i is bit (i % 8) of byte i / 8, least significant bit first
// (PS3.5 8.1.1 and D.2; numpy's bitorder="little").
#pragma once
#include "span.h"

namespace framecodec {

inline size_t packed_size(size_t bits) { return bits / 8 + (bits % 8 != 0); }

// Packs values (non-zero is 1) into out (out.size == packed_size(values.size)); the bits after the
// last value in the last byte are zero. Throws std::invalid_argument when out has the wrong size.
void pack_bits(ConstBytes values, MutBytes out);

// Unpacks out.size bits starting at bit `bit_offset` of `packed` into out, one 0/1 byte per bit.
// Needs packed.size >= packed_size(bit_offset + out.size); throws std::invalid_argument otherwise.
void unpack_bits(ConstBytes packed, size_t bit_offset, MutBytes out);

}  // namespace framecodec
