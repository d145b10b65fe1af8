#include "deflate_libdeflate.h"

#include <algorithm>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "errors.h"

#ifdef FRAMECODEC_HAVE_LIBDEFLATE
#include <libdeflate.h>
#endif

namespace framecodec {
namespace {

constexpr int kDefaultLevel = 6;  // what -1 means, for both backends (zlib's Z_DEFAULT_COMPRESSION)

[[noreturn]] void not_built() {
  throw std::invalid_argument(
      "framecodec was built without libdeflate (install libdeflate-dev and rebuild); "
      "use backend \"zlib\"");
}

}  // namespace

const char* backend_name(DeflateBackend b) { return b == DeflateBackend::zlib ? "zlib" : "libdeflate"; }

const char* linked_libdeflate_version() {
#ifdef FRAMECODEC_HAVE_LIBDEFLATE
  return LIBDEFLATE_VERSION_STRING;
#else
  return nullptr;
#endif
}

void check_backend(DeflateBackend b) {
  if (b == DeflateBackend::libdeflate && !linked_libdeflate_version()) not_built();
}

void check_deflate_level(DeflateBackend b, int level) {
  check_backend(b);
  const int top = b == DeflateBackend::zlib ? 9 : 12;
  if (level < -1 || level > top)
    throw std::invalid_argument("deflate level must be -1 or 0.." + std::to_string(top) + " for " + backend_name(b) +
                                ", got " + std::to_string(level));
}

size_t deflate_bound(DeflateBackend b, size_t n) {
  if (b == DeflateBackend::zlib) return deflate_bound(n);
#ifdef FRAMECODEC_HAVE_LIBDEFLATE
  return libdeflate_deflate_compress_bound(nullptr, n);  // nullptr: the bound over every level
#else
  not_built();
#endif
}

[[noreturn]] void explain_rejected(Inflater& zlib, ConstBytes in, size_t size) {
  // A window and a sink that drops what it is given: zlib only has to find the error, and the caller's output
  // must not receive pixels one decoder rejected.
  std::vector<uint8_t> window(std::min<size_t>(std::max<size_t>(size, 1), 32 << 10));
  zlib.decompress(&in, 1, size, {window.data(), window.size()}, [](void*, size_t, const uint8_t*, size_t) {});
  throw DecodeError("libdeflate rejected this deflate stream but zlib decodes it to the expected " +
                    std::to_string(size) +
                    " bytes: the two decoders disagree (please report it; "
                    "FRAMECODEC_INFLATE=zlib decodes with zlib)");
}

#ifdef FRAMECODEC_HAVE_LIBDEFLATE

LibdeflateInflater::LibdeflateInflater() : d_(libdeflate_alloc_decompressor()) {
  if (!d_) throw std::bad_alloc();
}

LibdeflateInflater::~LibdeflateInflater() { libdeflate_free_decompressor(d_); }

void LibdeflateInflater::decompress(ConstBytes in, MutBytes out, Inflater& zlib) {
  // libdeflate leaves its fast loop for the last few dozen input bytes, where it may not read ahead. In a
  // well-compressed frame (masks, backgrounds) those bytes can hold a large part of the output: a 1-bit
  // segmentation frame's runs of zeros decode a byte at a time there, a third of its time. Such a stream (at
  // least 8:1, a copy of under 1/8 of the output) is decoded from a copy followed by kSlack zero bytes; a
  // stream that needs them to end is truncated, and is caught below (it consumed more than its own bytes).
  constexpr size_t kSlack = 64;
  ConstBytes src = in;
  if (in.size <= out.size / 8) {
    padded_.resize(in.size + kSlack);
    if (in.size) std::memcpy(padded_.data(), in.data, in.size);
    std::memset(padded_.data() + in.size, 0, kSlack);
    src = {padded_.data(), padded_.size()};
  }
  // With no actual_out_nbytes_ret, libdeflate fails unless the stream decodes to exactly out.size bytes, and
  // it never writes past them (a decompression bomb stops at out.size). The _ex form says where the stream
  // ended (rounded up to a whole byte), for the checks on what follows it.
  size_t consumed = 0;
  const libdeflate_result r =
      libdeflate_deflate_decompress_ex(d_, src.data, src.size, out.data, out.size, &consumed, nullptr);
  // Sup 244 A.4.n: an odd-length stream is followed by one 0x00 pad byte; anything else is an error, which
  // zlib words as it always has.
  if (r == LIBDEFLATE_SUCCESS && consumed <= in.size) {
    const size_t trailing = in.size - consumed;
    if (trailing == 0 || (trailing == 1 && in.data[in.size - 1] == 0x00)) return;
  }
  explain_rejected(zlib, in, out.size);
}

LibdeflateDeflater::LibdeflateDeflater(int level) : c_(nullptr), level_(level < 0 ? kDefaultLevel : level) {
  check_deflate_level(DeflateBackend::libdeflate, level);
  c_ = libdeflate_alloc_compressor(level_);
  if (!c_) throw std::bad_alloc();
}

LibdeflateDeflater::~LibdeflateDeflater() { libdeflate_free_compressor(c_); }

size_t LibdeflateDeflater::compress(ConstBytes in, MutBytes out) {
  if (out.size < deflate_bound(DeflateBackend::libdeflate, in.size))
    throw std::invalid_argument("deflate output buffer smaller than deflate_bound()");
  const size_t n = libdeflate_deflate_compress(c_, in.data, in.size, out.data, out.size);
  if (n == 0) throw std::runtime_error("libdeflate's output exceeded its own bound");  // 0: did not fit
  return n;
}

#else  // built without libdeflate: the classes exist so that callers compile, and refuse to be made

LibdeflateInflater::LibdeflateInflater() : d_(nullptr) { not_built(); }
LibdeflateInflater::~LibdeflateInflater() = default;
void LibdeflateInflater::decompress(ConstBytes, MutBytes, Inflater&) { not_built(); }
LibdeflateDeflater::LibdeflateDeflater(int level) : c_(nullptr), level_(level) { not_built(); }
LibdeflateDeflater::~LibdeflateDeflater() = default;
size_t LibdeflateDeflater::compress(ConstBytes, MutBytes) { not_built(); }

#endif

LibdeflateInflater& FrameInflater::libdeflate() {
  if (!libdeflate_) libdeflate_ = std::make_unique<LibdeflateInflater>();
  return *libdeflate_;
}

void FrameInflater::decompress(ConstBytes in, MutBytes out, DeflateBackend b) {
  if (b == DeflateBackend::zlib) return zlib_.decompress(in, out);
  libdeflate().decompress(in, out, zlib_);
}

size_t FrameDeflater::compress(ConstBytes in, MutBytes out, DeflateBackend b, int level) {
  check_deflate_level(b, level);
  const int l = level < 0 ? kDefaultLevel : level;
  if (b == DeflateBackend::zlib) {
    if (!zlib_[l]) zlib_[l] = std::make_unique<Deflater>(l);
    return zlib_[l]->compress(in, out);
  }
  if (!libdeflate_[l]) libdeflate_[l] = std::make_unique<LibdeflateDeflater>(l);
  return libdeflate_[l]->compress(in, out);
}

}  // namespace framecodec
