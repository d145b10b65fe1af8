#include "deflate.h"

#include <zlib.h>

#include <algorithm>
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
    throw DecodeError(std::string("corrupt deflate stream: ") + (z.msg ? z.msg : "invalid data") + " (at input byte " +
                      std::to_string(consumed) + ")");
  if (ret == Z_MEM_ERROR) throw std::bad_alloc();
}

}  // namespace

size_t deflate_bound(size_t n) {
  // zlib's compressBound() (which also counts the 6-byte zlib wrapper), plus the per-block overhead
  // for stored blocks at level 0, plus headroom for the chunked flushes of inputs over 4 GiB.
  return n + (n >> 12) + (n >> 14) + (n >> 25) + 13 + 5 * (n / 16383 + 1) + 16 * (n / kChunk);
}

Deflater::Deflater(int level) : s_(std::make_unique<z_stream>()), level_(level) {
  if (level < -1 || level > 9)
    throw std::invalid_argument("deflate level must be -1 or 0..9, got " + std::to_string(level));
  if (deflateInit2(s_.get(), level, Z_DEFLATED, kRawWindowBits, 8, Z_DEFAULT_STRATEGY) != Z_OK) throw std::bad_alloc();
}

Deflater::~Deflater() { deflateEnd(s_.get()); }

size_t Deflater::compress(ConstBytes in, MutBytes out) {
  if (out.size < deflate_bound(in.size))
    throw std::invalid_argument("deflate output buffer smaller than deflate_bound()");
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

void Inflater::decompress(ConstBytes in, MutBytes out) { decompress(&in, 1, out.size, out); }

namespace {

// The input of one stream: its parts in order, each fed to zlib's 32-bit window in chunks.
struct PartFeeder {
  const ConstBytes* parts;
  size_t nparts, part = 0, total = 0;
  const uint8_t* next = nullptr;
  size_t left = 0;

  PartFeeder(const ConstBytes* p, size_t n) : parts(p), nparts(n) {
    for (size_t i = 0; i < n; ++i) total += p[i].size;
  }
  // Refills an empty zlib input window from the current or the next non-empty part.
  void refill(z_stream& z) {
    if (z.avail_in != 0) return;
    while (left == 0 && part < nparts) {
      next = parts[part].data;
      left = parts[part].size;
      ++part;
    }
    feed(next, left, z.next_in, z.avail_in);
  }
  bool exhausted(const z_stream& z) const { return z.avail_in == 0 && left == 0 && part == nparts; }
  bool all_given() const { return left == 0 && part == nparts; }
  size_t consumed(const z_stream& z) const {
    size_t unread = z.avail_in + left;
    for (size_t i = part; i < nparts; ++i) unread += parts[i].size;
    return total - unread;
  }
  // The last input byte, for the pad byte check (only called when consumed() < total).
  uint8_t last_byte() const {
    for (size_t i = nparts; i-- > 0;)
      if (parts[i].size) return parts[i].data[parts[i].size - 1];
    return 0;
  }
};

}  // namespace

void Inflater::decompress(const ConstBytes* parts, size_t nparts, size_t size, MutBytes window, Sink sink, void* ctx) {
  if (!sink && window.size != size) throw std::invalid_argument("inflate output must be exactly the decoded size");
  if (sink && window.size == 0) throw std::invalid_argument("inflate needs a window to decode into");
  PartFeeder in(parts, nparts);
  if (in.total == 0) throw DecodeError("empty input: no deflate stream");
  if (inflateReset(s_.get()) != Z_OK) throw std::runtime_error("zlib inflateReset failed");
  z_stream& z = *s_;
  z.avail_in = z.avail_out = 0;  // the feeders below refill only empty windows
  // Direct output: out_next/out_left walk the caller's buffer in 32-bit chunks. Through a sink: each round
  // decodes into `window` and hands it on when full; `flushed` counts what was handed on.
  uint8_t* out_next = window.data;
  size_t out_left = sink ? 0 : size;
  size_t flushed = 0, pending = 0;  // pending: the size of the window being filled
  auto decoded = [&] { return sink ? flushed + pending - z.avail_out : size - out_left - z.avail_out; };
  auto flush = [&] {
    const size_t n = pending - z.avail_out;
    if (n) sink(ctx, flushed, window.data, n);
    flushed += n;
    pending = 0;
    z.avail_out = 0;
  };
  auto more_output = [&] {  // a fresh output window, false when the frame is full
    if (z.avail_out > 0) return true;
    if (!sink) {
      if (out_left == 0) return false;
      feed(out_next, out_left, z.next_out, z.avail_out);
      return true;
    }
    flush();
    const size_t want = std::min(window.size, size - flushed);
    if (want == 0) return false;
    pending = want < kChunk ? want : kChunk;
    z.next_out = window.data;
    z.avail_out = static_cast<uInt>(pending);
    return true;
  };
  auto last_output_window = [&] { return sink ? flushed + pending == size : out_left == 0; };

  int ret = Z_OK;
  while (more_output()) {
    in.refill(z);
    // Z_FINISH with the whole frame in one window lets zlib skip allocating its sliding window.
    ret = inflate(&z, in.all_given() && last_output_window() ? Z_FINISH : Z_NO_FLUSH);
    if (ret == Z_STREAM_END) break;
    throw_on_zlib_error(ret, z, in.consumed(z));
    if (in.exhausted(z) && z.avail_out > 0)
      throw DecodeError("truncated deflate stream: input ended after " + std::to_string(in.total) + " bytes with " +
                        std::to_string(decoded()) + " of " + std::to_string(size) + " bytes decoded");
  }
  const size_t got = decoded();
  if (sink) flush();

  if (ret != Z_STREAM_END) {
    // The frame is full but the stream has not ended: it either ends right here, needs input it does
    // not have, or holds more data than the frame. A 1-byte scratch output tells which, and bounds the
    // decompression: nothing past `size` is ever produced.
    uint8_t scratch;
    for (;;) {
      in.refill(z);
      z.next_out = &scratch;
      z.avail_out = 1;
      ret = inflate(&z, Z_NO_FLUSH);
      if (ret == Z_STREAM_END && z.avail_out == 1) break;
      if (z.avail_out == 0)
        throw DecodeError("deflate stream decodes to more than the expected " + std::to_string(size) + " bytes");
      throw_on_zlib_error(ret, z, in.consumed(z));
      if (in.exhausted(z))
        throw DecodeError("truncated deflate stream: all " + std::to_string(size) +
                          " bytes decoded but the stream has no end-of-stream block");
    }
  } else if (got != size) {
    throw DecodeError("deflate stream ended after " + std::to_string(got) + " of the expected " + std::to_string(size) +
                      " bytes");
  }

  // Sup 244 A.4.n: an odd-length stream is followed by one 0x00 pad byte; anything else is an error.
  const size_t trailing = in.total - in.consumed(z);
  if (trailing == 0 || (trailing == 1 && in.last_byte() == 0x00)) return;
  throw DecodeError(std::to_string(trailing) + " unexpected byte(s) after the end of the deflate stream " +
                    "(only one 0x00 pad byte is allowed)");
}

size_t deflate_raw(ConstBytes in, MutBytes out, int level) { return Deflater(level).compress(in, out); }

void inflate_raw(ConstBytes in, MutBytes out) { Inflater().decompress(in, out); }

const char* linked_zlib_version() { return zlibVersion(); }

}  // namespace framecodec
