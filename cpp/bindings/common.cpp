#include "bindings/common.h"

namespace framecodec::bindings {

void Buffer::refused(py::handle obj, const char* name, bool writable) {
  py::error_already_set why;  // the exporter's error, taken off the error indicator
  Py_buffer any{};
  if (PyObject_GetBuffer(obj.ptr(), &any, PyBUF_FULL_RO) == 0) {  // it has a buffer: which property is missing
    const bool contiguous = PyBuffer_IsContiguous(&any, 'C');
    const bool read_only = any.readonly;
    PyBuffer_Release(&any);
    if (writable && read_only) throw py::type_error(std::string(name) + " must be writable");
    if (!contiguous) throw py::value_error(std::string(name) + " must be C-contiguous");
  }
  PyErr_Clear();
  throw py::value_error(std::string(name) + " cannot be read: " + std::string(py::str(why.value())));
}

std::string utf8_arg(const py::handle& s, const char* name) {
  if (!PyUnicode_Check(s.ptr()))
    throw py::type_error(std::string(name) + " must be a str, not " +
                         std::string(py::str(py::type::of(s).attr("__name__"))));
  Py_ssize_t n = 0;
  const char* p = PyUnicode_AsUTF8AndSize(s.ptr(), &n);
  if (!p) {
    PyErr_Clear();
    throw py::value_error(std::string(name) + " is not valid text: " + std::string(py::repr(s)) +
                          " has characters with no UTF-8 form (lone surrogates)");
  }
  return std::string(p, static_cast<size_t>(n));
}

std::string fs_path(const py::object& path) {
  py::object os = py::module_::import("os");
  std::string p = os.attr("fsencode")(os.attr("fspath")(path)).cast<std::string>();
  if (p.find('\0') != std::string::npos) throw py::value_error("embedded null byte");
  return p;
}

void raise_file_error(const FileError& e, const py::object& path) {
  // OSError(errno, reason, filename) is built as open() builds it, so the subclass follows errno.
  PyObject* err = PyObject_CallFunction(PyExc_OSError, "isO", e.error_number(), e.what(), path.ptr());
  if (!err) throw py::error_already_set();
  PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(err)), err);
  Py_DECREF(err);
  throw py::error_already_set();
}

void check_no_overlap(ConstBytes in, MutBytes out, const char* in_name) {
  if (in.size == 0 || out.size == 0) return;
  const auto a = reinterpret_cast<uintptr_t>(in.data), b = reinterpret_cast<uintptr_t>(out.data);
  if (a < b + out.size && b < a + in.size)
    throw py::value_error(std::string("out overlaps ") + in_name + " (" + std::to_string(out.size) +
                          " bytes at offset " + (b >= a ? std::to_string(b - a) : "-" + std::to_string(a - b)) +
                          " of its " + std::to_string(in.size) +
                          "): decoding in place is not supported, pass a separate out");
}

Output make_output(const py::object& out, size_t size, const char* what) {
  if (out.is_none()) {
    py::array_t<uint8_t> a(static_cast<py::ssize_t>(size));
    return {a, {a.mutable_data(), size}};
  }
  Buffer b(out, "out", /*writable=*/true);
  if (!b.uint8())
    throw py::type_error(std::string("out must have dtype uint8, got buffer format '") + b.format() + "'");
  if (b.size() != size)
    throw py::value_error(std::string("out must be exactly ") + std::to_string(size) + " bytes for " + what + ", got " +
                          std::to_string(b.size()));
  MutBytes span = b.mut();
  if (py::isinstance<py::array>(out)) return {out, span};
  return {py::module_::import("numpy").attr("frombuffer")(out, "uint8"), span};
}

}  // namespace framecodec::bindings
