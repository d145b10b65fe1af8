// DICOM RLE Lossless (1.2.840.10008.1.2.5, PS3.5 Annex G): decode and encode one frame.
//
// A frame is a 64-byte header (segment count and offsets, G.5) followed by one PackBits segment per
// byte plane (G.2, G.3): for each sample, the most significant byte plane first. Pixels outside the
// kernels are native little-endian; the kernels do the byte-plane (de)interleaving.
// No global state: every call works only on its arguments and the stack (rle_decode uses about 33 KiB of
// it for its interleaving buffers), from any thread.
#pragma once
#include <cstddef>

#include "span.h"

namespace framecodec {

// What a frame holds. bits_allocated is 1, 8, 16, 32 or 64; with 1 each pixel is one byte (the Padded
// Composite Pixel Code of G.2) and samples_per_pixel must be 1.
struct RleFrame {
  size_t rows = 0;
  size_t columns = 0;
  size_t samples_per_pixel = 1;
  size_t bits_allocated = 8;
};

// Throws std::invalid_argument naming the problem when the layout is not encodable: zero rows,
// columns or samples, unsupported bits allocated, more than 15 segments, or a size that overflows.
void rle_check_frame(const RleFrame& f);

// Bytes per sample in the decoded frame (1 for bits allocated 1 and 8).
size_t rle_bytes_per_sample(const RleFrame& f);
// Segments in an encoded frame: samples per pixel x bytes per sample (at most 15, PS3.5 G.5).
size_t rle_segment_count(const RleFrame& f);
// Size of the decoded frame: rows x columns x samples per pixel x bytes per sample.
size_t rle_decoded_size(const RleFrame& f);

// Segment order within a sample. Conformant data stores the most significant byte plane first
// (PS3.5 G.2); some old writers stored the least significant first.
enum class RleSegmentOrder { MsbFirst, LsbFirst };

// Decodes one frame into out (out.size == rle_decoded_size(f)): little-endian samples, interleaved
// (planar configuration 0) or, with planar, one plane per sample back to back. Bits allocated 1 gives
// one byte per pixel as stored (0 or 1 in conformant data).
// A segment that decodes to more bytes than a plane holds is trimmed (encoders pad); a trailing 0x00
// pad byte is allowed. Throws DecodeError naming the problem for a bad header, offsets, a segment that
// decodes short or a run past the end of its segment. Never reads outside `in` or writes outside `out`.
void rle_decode(ConstBytes in, const RleFrame& f, RleSegmentOrder order, bool planar, MutBytes out);

// How pixels are given to the encoder.
enum class RleInput {
  Bytes,       // native little-endian interleaved samples; with bits allocated 1 one byte per pixel, non-zero is 1
  PackedBits,  // bits allocated 1 only: pixel i is bit i % 8 of byte i / 8 (PS3.5 8.1.1)
};

// Size of the input rle_encode expects.
size_t rle_encode_input_size(const RleFrame& f, RleInput kind);
// Upper bound of rle_encode's output size.
size_t rle_encode_bound(const RleFrame& f);

// Encodes one frame as PS3.5 G.3 requires: each row of each segment encoded separately, runs of three
// or more equal bytes as replicate runs, two-byte repeats merged into literal runs where that is shorter,
// each segment padded to even length, unused header offsets zero. Never larger than pydicom's encoder.
// out.size >= rle_encode_bound(f); returns the number of bytes written.
// Throws std::invalid_argument for a bad layout, wrong input size or too small output.
size_t rle_encode(ConstBytes pixels, const RleFrame& f, RleInput kind, MutBytes out);

}  // namespace framecodec
