// 1-bit frames: the batch engine's fused inflate + unpack (a Deflated Image Frame of Bits Allocated 1,
// unpacked window by window as it is inflated) against inflate then unpack_bits; native 1-bit frames at any
// bit offset against unpack_bits; pack_bits / unpack_bits round trips.
//
// Input: rows (1 byte), columns (1 byte), bit offset (1 byte), mode (1 byte), then the data.
#include <cstring>
#include <vector>

#include "batch_decode.h"
#include "bitpack.h"
#include "deflate.h"
#include "errors.h"
#include "fuzz_input.h"

using namespace framecodec;
using namespace framecodec::fuzz;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in{data, size};
  FrameLayout f;
  f.rows = 1 + in.u8();
  f.columns = 1 + in.u8() * 4;  // up to 1021 columns: frames of up to 256 K pixels, several sink windows
  f.bits_allocated = 1;
  const uint8_t bit_offset = in.u8() % 8;
  const uint8_t mode = in.u8();
  const ConstBytes rest = in.rest();
  const size_t pixels = f.rows * f.columns;
  thread_local FrameDecoder decoder;

  std::vector<uint8_t> fused(pixels);
  FrameJob job;
  job.parts = &rest;
  job.nparts = 1;
  job.out = fused.data();

  if (mode % 3 == 0) {  // deflate: fused (either backend) against zlib's inflate, then unpack_bits
    const DeflateBackend backend =
        linked_libdeflate_version() && (mode / 3) % 2 ? DeflateBackend::libdeflate : DeflateBackend::zlib;
    bool fused_ok = true;
    try {
      decoder.decode(job, FrameCodec::deflate, f, backend);
    } catch (const DecodeError&) {
      fused_ok = false;
    }
    std::vector<uint8_t> packed(packed_size(pixels));
    bool plain_ok = true;
    try {
      inflate_raw(rest, {packed.data(), packed.size()});
    } catch (const DecodeError&) {
      plain_ok = false;
    }
    // libdeflate accepts a few malformed streams zlib rejects (docs/faults.md); never the other way round.
    FUZZ_CHECK(fused_ok == plain_ok || (backend == DeflateBackend::libdeflate && fused_ok));
    if (plain_ok) {
      std::vector<uint8_t> ref(pixels);
      unpack_bits({packed.data(), packed.size()}, 0, {ref.data(), ref.size()});
      FUZZ_CHECK(ref == fused);
    }
    return 0;
  }

  if (mode % 3 == 1) {  // native: a frame that starts at any bit of its first byte
    job.bit_offset = bit_offset;
    bool ok = true;
    try {
      decoder.decode(job, FrameCodec::native, f, DeflateBackend::zlib);
    } catch (const EncapsulationError&) {
      ok = false;
    }
    FUZZ_CHECK(ok == (rest.size >= packed_size(bit_offset + pixels)));
    if (ok) {
      std::vector<uint8_t> ref(pixels);
      for (size_t i = 0; i < pixels; ++i) ref[i] = (rest.data[(bit_offset + i) / 8] >> ((bit_offset + i) % 8)) & 1;
      FUZZ_CHECK(ref == fused);
    }
    return 0;
  }

  // pack_bits then unpack_bits at a bit offset: the values back as 0/1.
  std::vector<uint8_t> packed(packed_size(rest.size + bit_offset) + 1);
  std::vector<uint8_t> shifted(rest.size + bit_offset);
  for (size_t i = 0; i < rest.size; ++i) shifted[bit_offset + i] = rest.data[i];
  pack_bits({shifted.data(), shifted.size()}, {packed.data(), packed_size(shifted.size())});
  std::vector<uint8_t> back(rest.size);
  unpack_bits({packed.data(), packed_size(shifted.size())}, bit_offset, {back.data(), back.size()});
  for (size_t i = 0; i < rest.size; ++i) FUZZ_CHECK(back[i] == (rest.data[i] != 0));
  if (shifted.size() % 8) FUZZ_CHECK((packed[shifted.size() / 8] >> (shifted.size() % 8)) == 0);  // zero padding
  return 0;
}
