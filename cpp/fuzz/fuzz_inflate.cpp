// inflate: one raw deflate stream of a given size, decoded whole and, split into fragments, through a sink
// in small windows (the batch engine's two paths); both must agree. And deflate -> inflate round trips.
//
// Input: mode (1 byte), size (3 bytes, at most 1 MiB), split (1 byte), window (1 byte), then the stream.
#include <cstring>
#include <vector>

#include "deflate.h"
#include "deflate_libdeflate.h"
#include "errors.h"
#include "fuzz_input.h"

using namespace framecodec;
using namespace framecodec::fuzz;

namespace {

struct Collect {
  std::vector<uint8_t>* out;
  size_t next = 0;
  static void sink(void* self, size_t pos, const uint8_t* data, size_t n) {
    Collect& c = *static_cast<Collect*>(self);
    FUZZ_CHECK(pos == c.next);             // in order, no gaps
    FUZZ_CHECK(pos + n <= c.out->size());  // never past the frame
    std::memcpy(c.out->data() + pos, data, n);
    c.next += n;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in{data, size};
  const uint8_t mode = in.u8();
  const size_t out_size = (in.u16() | (static_cast<size_t>(in.u8()) << 16)) & 0xFFFFF;
  const uint8_t split = in.u8();
  const size_t window = 1 + in.u8() * 64;
  const ConstBytes stream = in.rest();
  thread_local Inflater inflater;

  if (mode & 1) {  // round trip: the rest as data, deflated by either backend at a level from the mode byte
    const DeflateBackend backend =
        linked_libdeflate_version() && (mode & 0x80) ? DeflateBackend::libdeflate : DeflateBackend::zlib;
    const int level = static_cast<int>(((mode >> 1) & 0x3F) % (backend == DeflateBackend::zlib ? 11 : 14)) - 1;
    thread_local FrameDeflater deflater;
    std::vector<uint8_t> packed(deflate_bound(backend, stream.size));
    const size_t n = deflater.compress(stream, {packed.data(), packed.size()}, backend, level);
    FUZZ_CHECK(n <= packed.size());
    std::vector<uint8_t> back(stream.size);
    inflater.decompress({packed.data(), n}, {back.data(), back.size()});
    FUZZ_CHECK(stream.size == 0 || std::memcmp(back.data(), stream.data, stream.size) == 0);
    if (n > 1) {  // cut short: an error, never a shorter frame
      bool threw = false;
      try {
        inflater.decompress({packed.data(), n / 2}, {back.data(), back.size()});
      } catch (const DecodeError&) {
        threw = true;
      }
      FUZZ_CHECK(threw);
    }
    return 0;
  }

  // Whole, into the frame.
  std::vector<uint8_t> direct(out_size);
  bool direct_ok = true;
  try {
    inflater.decompress(stream, {direct.data(), direct.size()});
  } catch (const DecodeError&) {
    direct_ok = false;
  }
  // Split in up to four fragments, through a sink and a small window.
  ConstBytes parts[4];
  size_t nparts = 1 + split % 4, at = 0;
  for (size_t i = 0; i < nparts; ++i) {
    size_t len = i + 1 == nparts ? stream.size - at : (stream.size - at) * ((split >> 2) % 8 + 1) / 9;
    parts[i] = {stream.data + at, len};
    at += len;
  }
  std::vector<uint8_t> sunk(out_size);
  std::vector<uint8_t> win(window);
  Collect c{&sunk};
  bool sink_ok = true;
  try {
    inflater.decompress(parts, nparts, out_size, {win.data(), win.size()}, &Collect::sink, &c);
  } catch (const DecodeError&) {
    sink_ok = false;
  }
  FUZZ_CHECK(direct_ok == sink_ok);  // the same stream is good or bad whichever way it is read
  if (direct_ok) {
    FUZZ_CHECK(c.next == out_size);
    FUZZ_CHECK(direct == sunk);
  }
  // libdeflate, decoding's default backend, on the same stream: whatever zlib accepts it decodes to the same
  // bytes; what it rejects zlib explains (a DecodeError). It accepts a few malformed streams zlib rejects
  // (docs/faults.md), so a success there is not checked against zlib.
  if (linked_libdeflate_version()) {
    thread_local FrameInflater both;
    std::vector<uint8_t> fast(out_size);
    bool fast_ok = true;
    try {
      both.decompress(stream, {fast.data(), fast.size()}, DeflateBackend::libdeflate);
    } catch (const DecodeError&) {
      fast_ok = false;
    }
    if (direct_ok) {
      FUZZ_CHECK(fast_ok);
      FUZZ_CHECK(fast == direct);
    }
  }
  return 0;
}
