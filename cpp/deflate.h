// Raw RFC 1951 deflate and inflate of one frame through the system zlib
// (DICOM Deflated Image Frame Compression, PS3.5 8.2.16 and A.4.13).
// Stateless and thread-safe: every call owns its own z_stream.
#pragma once
#include "span.h"

namespace framecodec {

// Upper bound of deflate_raw's output for n input bytes at any level.
size_t deflate_bound(size_t n);

// Compresses `in` into `out` (out.size >= deflate_bound(in.size)) as one raw deflate stream
// (window bits -15: no zlib header, no Adler-32). level: -1 (zlib's default, 6) or 0..9.
// Returns the number of bytes written. Throws std::invalid_argument for a bad level or a short `out`.
size_t deflate_raw(ConstBytes in, MutBytes out, int level);

// Decompresses one raw deflate stream that must decode to exactly out.size bytes.
// After the end of the stream one 0x00 pad byte is allowed (Sup 244: odd-length streams are padded),
// nothing else. Never writes past out.size. Throws DecodeError saying what is wrong.
void inflate_raw(ConstBytes in, MutBytes out);

// Version of the zlib linked in.
const char* linked_zlib_version();

}  // namespace framecodec
