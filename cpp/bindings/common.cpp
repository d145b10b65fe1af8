#include "bindings/common.h"

namespace framecodec::bindings {

Output make_output(const py::object& out, size_t size, const char* what) {
  if (out.is_none()) {
    py::array_t<uint8_t> a(static_cast<py::ssize_t>(size));
    return {a, {a.mutable_data(), size}};
  }
  Buffer b(out, "out", /*writable=*/true);
  if (!b.uint8()) throw py::type_error(std::string("out must have dtype uint8, got buffer format '") + b.format() + "'");
  if (b.size() != size)
    throw py::value_error(std::string("out must be exactly ") + std::to_string(size) + " bytes for " + what + ", got " +
                          std::to_string(b.size()));
  MutBytes span = b.mut();
  if (py::isinstance<py::array>(out)) return {out, span};
  return {py::module_::import("numpy").attr("frombuffer")(out, "uint8"), span};
}

}  // namespace framecodec::bindings
