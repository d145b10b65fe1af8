// Which deflate backend a call uses. The kernels hold no global state: the choice is made here, per call,
// and passed down as a DeflateBackend.
//
// Decoding: `backend="zlib"` or `"libdeflate"` when the caller names one; else the environment variable
// FRAMECODEC_INFLATE, read at each call ("zlib" forces zlib, for debugging; "libdeflate"); else libdeflate when
// the build has it, zlib otherwise. Encoding: zlib unless the caller names libdeflate, so that our streams stay
// byte-identical to Python's zlib (pydicom's encoder).
#include <cstdlib>
#include <string>

#include "bindings/common.h"
#include "deflate_libdeflate.h"

namespace framecodec::bindings {
namespace {

constexpr const char* kInflateVariable = "FRAMECODEC_INFLATE";

DeflateBackend named(const std::string& s, const char* what) {
  DeflateBackend b;
  if (s == "zlib") {
    b = DeflateBackend::zlib;
  } else if (s == "libdeflate") {
    b = DeflateBackend::libdeflate;
  } else {
    throw py::value_error(std::string(what) + " must be \"zlib\" or \"libdeflate\", got \"" + s + "\"");
  }
  if (b == DeflateBackend::libdeflate && !linked_libdeflate_version())
    throw py::value_error(std::string(what) +
                          " is \"libdeflate\" but framecodec was built without it "
                          "(install libdeflate-dev and rebuild)");
  return b;
}

// The decode default, read with the GIL held (os.environ's changes reach getenv through putenv).
DeflateBackend default_inflate() {
  const char* env = std::getenv(kInflateVariable);
  if (env && *env) return named(env, kInflateVariable);
  return linked_libdeflate_version() ? DeflateBackend::libdeflate : DeflateBackend::zlib;
}

std::string name_arg(const py::object& backend) {
  if (!py::isinstance<py::str>(backend))
    throw py::type_error("backend must be \"zlib\", \"libdeflate\" or None, not " +
                         std::string(py::str(py::type::of(backend).attr("__name__"))));
  return backend.cast<std::string>();
}

}  // namespace

DeflateBackend inflate_backend_arg(const py::object& backend, bool deflate) {
  if (!backend.is_none()) return named(name_arg(backend), "backend");
  // Only deflate frames read the variable: a bad value must not stop an RLE or native file from decoding.
  return deflate ? default_inflate() : DeflateBackend::zlib;
}

DeflateBackend deflate_backend_arg(const py::object& backend) {
  if (backend.is_none()) return DeflateBackend::zlib;
  return named(name_arg(backend), "backend");
}

void add_backends(py::module_& m) {
  m.attr("zlib_version") = linked_zlib_version();
  const char* v = linked_libdeflate_version();
  m.attr("libdeflate_version") = v ? py::object(py::str(v)) : py::object(py::none());
  m.def(
      "_inflate_backend", [] { return backend_name(default_inflate()); },
      "The backend inflate, decode_frame and pixel_array use without backend=: FRAMECODEC_INFLATE when set, "
      "else libdeflate when the build has it, else zlib.");
  // For the tests: what a frame libdeflate rejected becomes (zlib's DecodeError, or the two decoders'
  // disagreement when zlib accepts it). No stream libdeflate 1.14 rejects is known that zlib accepts.
  m.def(
      "_explain_rejected",
      [](const py::object& data, py::ssize_t size) {
        Buffer in(data, "data");
        const size_t n = non_negative(size, "size");
        py::gil_scoped_release nogil;
        Inflater zlib;
        explain_rejected(zlib, in.bytes(), n);
      },
      py::arg("data"), py::arg("size"));
}

}  // namespace framecodec::bindings
