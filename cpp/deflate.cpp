#include "deflate.h"

#include <zlib.h>

#include <climits>
#include <new>
#include <string>

#include "errors.h"

namespace framecodec {
namespace {

constexpr int kRawWindowBits = -15;  // negative: raw RFC 1951 stream, no zlib wrapper (Sup 244 A.4.n)
constexpr size_t kChunk = UINT_MAX;  // z_stream counts are 32-bit; larger buffers go in chunks

// Moves the next chunk of a large buffer into zlib's 32-bit window.
template <class Byte>
inline void feed(Byte*& next, size_t& left, Bytef*& zn, uInt& za) {
  if (za == 0 && left > 0) {
    za = static_cast<uInt>(left < kChunk ? left : kChunk);
    zn = const_cast<Bytef*>(next);
    next += za;
    left -= za;
  }
}

// Turns inflate()'s hard errors into exceptions; Z_OK and Z_BUF_ERROR (no progress yet) fall through.
void throw_on_zlib_error(int ret, const z_stream& z, size_t consumed) {
  if (ret == Z_DATA_ERROR || ret == Z_NEED_DICT)
    throw DecodeError(std::string("corrupt deflate stream: ") + (z.msg ? z.msg : "invalid data") +
                      " (at input byte " + std::to_string(consumed) + ")");
  if (ret == Z_MEM_ERROR) throw std::bad_alloc();
}

}  // namespace

size_t deflate_bound(size_t n) {
  // zlib's compressBound() (which also counts the 6-byte zlib wrapper), plus the per-block overhead
  // for stored blocks at level 0, plus headroom for the chunked flushes of inputs over 4 GiB.
  return n + (n >> 12) + (n >> 14) + (n >> 25) + 13 + 5 * (n / 16383 + 1) + 16 * (n / kChunk);
}

Deflater::Deflater(int level) : s_(std::make_unique<z_stream>()), level_(level) {
  if (level < -1 || level > 9) throw std::invalid_argument("deflate level must be -1 or 0..9, got " + std::to_string(level));
  if (deflateInit2(s_.get(), level, Z_DEFLATED, kRawWindowBits, 8, Z_DEFAULT_STRATEGY) != Z_OK) throw std::bad_alloc();
}

Deflater::~Deflater() { deflateEnd(s_.get()); }

size_t Deflater::compress(ConstBytes in, MutBytes out) {
  if (out.size < deflate_bound(in.size)) throw std::invalid_argument("deflate output buffer smaller than deflate_bound()");
  if (deflateReset(s_.get()) != Z_OK) throw std::runtime_error("zlib deflateReset failed");
  z_stream& z = *s_;
  z.avail_in = z.avail_out = 0;  // the chunk feeder below refills only empty windows
  const uint8_t* in_next = in.data;
  size_t in_left = in.size;
  uint8_t* out_next = out.data;
  size_t out_left = out.size;
  for (;;) {
    feed(in_next, in_left, z.next_in, z.avail_in);
    z.next_out = out_next;
    z.avail_out = static_cast<uInt>(out_left < kChunk ? out_left : kChunk);
    const uInt avail_out = z.avail_out;
    int ret = deflate(&z, in_left == 0 ? Z_FINISH : Z_NO_FLUSH);
    size_t produced = avail_out - z.avail_out;
    out_next += produced;
    out_left -= produced;
    if (ret == Z_STREAM_END) break;
    if (ret != Z_OK && ret != Z_BUF_ERROR) throw std::runtime_error("zlib deflate failed");
    if (ret == Z_BUF_ERROR && out_left == 0) throw std::runtime_error("deflate output exceeded deflate_bound()");
  }
  return static_cast<size_t>(out_next - out.data);
}

Inflater::Inflater() : s_(std::make_unique<z_stream>()) {
  if (inflateInit2(s_.get(), kRawWindowBits) != Z_OK) throw std::bad_alloc();
}

Inflater::~Inflater() { inflateEnd(s_.get()); }

void Inflater::decompress(ConstBytes in, MutBytes out) {
  if (in.size == 0) throw DecodeError("empty input: no deflate stream");
  if (inflateReset(s_.get()) != Z_OK) throw std::runtime_error("zlib inflateReset failed");
  z_stream& z = *s_;
  z.avail_in = z.avail_out = 0;  // the chunk feeder below refills only empty windows
  const uint8_t* in_next = in.data;
  size_t in_left = in.size;
  uint8_t* out_next = out.data;
  size_t out_left = out.size;
  auto decoded = [&] { return out.size - out_left - z.avail_out; };
  auto consumed = [&] { return in.size - in_left - z.avail_in; };

  int ret = Z_OK;
  while (out_left > 0 || z.avail_out > 0) {
    feed(in_next, in_left, z.next_in, z.avail_in);
    if (z.avail_out == 0) feed(out_next, out_left, z.next_out, z.avail_out);
    // Z_FINISH with the whole frame in one window lets zlib skip allocating its sliding window.
    ret = inflate(&z, in_left == 0 && out_left == 0 ? Z_FINISH : Z_NO_FLUSH);
    if (ret == Z_STREAM_END) break;
    throw_on_zlib_error(ret, z, consumed());
    if (z.avail_in == 0 && in_left == 0 && z.avail_out > 0)
      throw DecodeError("truncated deflate stream: input ended after " + std::to_string(in.size) + " bytes with " +
                        std::to_string(decoded()) + " of " + std::to_string(out.size) + " bytes decoded");
    if (z.avail_out == 0 && out_left == 0) break;  // output full; see below whether the stream ends here
  }

  if (ret != Z_STREAM_END) {
    // The frame is full but the stream has not ended: it either ends right here, needs input it does
    // not have, or holds more data than the frame. A 1-byte scratch output tells which, and bounds the
    // decompression: nothing past out.size is ever produced.
    uint8_t scratch;
    for (;;) {
      feed(in_next, in_left, z.next_in, z.avail_in);
      z.next_out = &scratch;
      z.avail_out = 1;
      ret = inflate(&z, Z_NO_FLUSH);
      if (ret == Z_STREAM_END && z.avail_out == 1) break;
      if (z.avail_out == 0)
        throw DecodeError("deflate stream decodes to more than the expected " + std::to_string(out.size) + " bytes");
      throw_on_zlib_error(ret, z, consumed());
      if (z.avail_in == 0 && in_left == 0)
        throw DecodeError("truncated deflate stream: all " + std::to_string(out.size) +
                          " bytes decoded but the stream has no end-of-stream block");
    }
  } else if (decoded() != out.size) {
    throw DecodeError("deflate stream ended after " + std::to_string(decoded()) + " of the expected " +
                      std::to_string(out.size) + " bytes");
  }

  // Sup 244 A.4.n: an odd-length stream is followed by one 0x00 pad byte; anything else is an error.
  const size_t trailing = in.size - consumed();
  if (trailing == 0 || (trailing == 1 && in.data[in.size - 1] == 0x00)) return;
  throw DecodeError(std::to_string(trailing) + " unexpected byte(s) after the end of the deflate stream " +
                    "(only one 0x00 pad byte is allowed)");
}

size_t deflate_raw(ConstBytes in, MutBytes out, int level) { return Deflater(level).compress(in, out); }

void inflate_raw(ConstBytes in, MutBytes out) { Inflater().decompress(in, out); }

const char* linked_zlib_version() { return zlibVersion(); }

}  // namespace framecodec
