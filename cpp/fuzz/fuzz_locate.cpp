// locate_pixel_data on a whole data set, from memory and from a file (the path form reads in 64 KiB blocks):
// the two must agree on the result or on the error, and the location must lie inside the data.
//
// Input: the file.
#include <system_error>

#include "byte_source.h"
#include "dataset_locate.h"
#include "errors.h"
#include "fuzz_input.h"
#include "tags.h"

using namespace framecodec;
using namespace framecodec::fuzz;

namespace {

// The outcome of one form: the location, or the error's message.
struct Outcome {
  bool ok = false;
  std::string error;
  PixelDataLocation loc;
};

template <class Source>
Outcome run(Source& src) {
  Outcome o;
  try {
    o.loc = locate_pixel_data(src);
    o.ok = true;
  } catch (const EncapsulationError& e) {
    o.error = e.what();
  }
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static MemoryFile file;
  const ConstBytes buf{data, size};
  MemorySource mem(buf);
  const Outcome a = run(mem);
  FileSource disk(file.write(buf));
  const Outcome b = run(disk);

  FUZZ_CHECK(a.ok == b.ok);
  FUZZ_CHECK(a.error == b.error);
  if (!a.ok) return 0;
  const PixelDataLocation &x = a.loc, &y = b.loc;
  FUZZ_CHECK(x.element_offset == y.element_offset && x.offset == y.offset && x.length == y.length);
  FUZZ_CHECK(x.encapsulated == y.encapsulated && x.explicit_vr == y.explicit_vr && x.vr == y.vr);
  FUZZ_CHECK(x.transfer_syntax == y.transfer_syntax && x.number_of_frames == y.number_of_frames);
  FUZZ_CHECK(x.extended_offsets == y.extended_offsets && x.extended_lengths == y.extended_lengths);
  FUZZ_CHECK(x.element_offset < x.offset && x.offset <= size);
  FUZZ_CHECK(x.encapsulated == (x.length == kUndefinedLength));
  return 0;
}
