// framecodec._core: the one module. The bindings are the only code that knows about Python: they turn
// Python buffers into spans, release the GIL around every kernel call, and map C++ exceptions to Python
// ones (DecodeError and EncapsulationError to framecodec's ValueErrors, std::invalid_argument to ValueError).
// Each area's functions live in their own file beside this one.
#include "bindings/common.h"
#include "errors.h"

using namespace framecodec;
using namespace framecodec::bindings;

PYBIND11_MODULE(_core, m) {
  m.doc() = "framecodec's native kernels. Use the framecodec package, which re-exports them.";

  auto decode_error = py::register_exception<DecodeError>(m, "DecodeError", PyExc_ValueError);
  decode_error.attr("__module__") = "framecodec";
  decode_error.attr("__doc__") =
      "Compressed pixel data is corrupt, truncated, or inconsistent with the expected frame.";

  auto encaps_error = py::register_exception<EncapsulationError>(m, "EncapsulationError", PyExc_ValueError);
  encaps_error.attr("__module__") = "framecodec";
  encaps_error.attr("__doc__") =
      "Encapsulated Pixel Data or the data set around it is malformed, truncated, or disagrees with its offset "
      "tables.";

  add_backends(m);
  add_kernels(m);
  add_frame_table(m);  // before add_encaps: PixelDataLocation.frame_table returns a FrameTable
  add_encaps(m);
  add_batch(m);
  add_files(m);
  add_slide(m);
}
