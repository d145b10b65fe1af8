// What every bindings file shares: Python buffers as spans, outputs the kernels fill with the GIL
// released, and small argument checks. Only the files in cpp/bindings/ include Python headers.
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <memory>
#include <string>
#include <vector>

#include "deflate_libdeflate.h"
#include "errors.h"
#include "span.h"

namespace framecodec::bindings {

namespace py = pybind11;

// A C-contiguous view of any object with the buffer protocol, held for the length of a call
// (the export stops a bytearray from being resized while the GIL is released).
class Buffer {
 public:
  Buffer(py::handle obj, const char* name, bool writable = false) {
    if (!PyObject_CheckBuffer(obj.ptr()))
      throw py::type_error(std::string(name) +
                           " must be a bytes-like object (bytes, bytearray, memoryview, "
                           "numpy array), not " +
                           std::string(py::str(py::type::of(obj).attr("__name__"))));
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj.ptr(), &view_, flags) != 0) refused(obj, name, writable);
  }
  ~Buffer() { PyBuffer_Release(&view_); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  size_t size() const { return static_cast<size_t>(view_.len); }
  ConstBytes bytes() const { return {static_cast<const uint8_t*>(view_.buf), size()}; }
  MutBytes mut() const { return {static_cast<uint8_t*>(view_.buf), size()}; }
  std::string format() const { return view_.format ? view_.format : "B"; }
  // One-byte items: uint8, int8, bool or char.
  bool bytewise() const { return view_.itemsize == 1; }
  bool uint8() const {
    std::string f = format();
    return view_.itemsize == 1 && (f == "B" || f == "=B" || f == "<B" || f == "@B");
  }

 private:
  // Why the object gave no buffer, as an exception: read-only, not C-contiguous, or no buffer at all just now
  // (a closed mmap, a released memoryview: the exporter's own message, which says so).
  [[noreturn]] static void refused(py::handle obj, const char* name, bool writable);

  Py_buffer view_{};
};

// A path argument as the OS takes it: str, bytes or os.PathLike (os.fspath, then os.fsencode), as open()
// accepts it; a NUL byte in it is a ValueError, as open() says, not the end of a shorter path.
std::string fs_path(const py::object& path);

// Raises the OSError of a FileError for `path` (errno picks the subclass: FileNotFoundError, ...).
[[noreturn]] void raise_file_error(const FileError& e, const py::object& path);

// A str argument as UTF-8. A str that has no UTF-8 form (lone surrogates, from bytes decoded with
// surrogateescape) is a ValueError naming the argument, not pybind11's RuntimeError "Unable to cast".
std::string utf8_arg(const py::handle& s, const char* name);

inline size_t non_negative(py::ssize_t v, const char* name) {
  if (v < 0) throw py::value_error(std::string(name) + " must be >= 0, got " + std::to_string(v));
  return static_cast<size_t>(v);
}

inline uint64_t non_negative_u64(py::ssize_t v, const char* name) {
  return static_cast<uint64_t>(non_negative(v, name));
}

// The uint8 array a decoder writes into: a new one, or a view of the caller's `out` of exactly `size` bytes.
struct Output {
  py::object result;  // what the call returns
  MutBytes span;
};

Output make_output(const py::object& out, size_t size, const char* what);

// Refuses an output that shares memory with the input: the kernels read input they have already overwritten
// (unpack_bits writes 8 bytes per byte read, inflate and RLE write ahead of what they read), so the result
// would be wrong, not slow. ValueError naming both.
void check_no_overlap(ConstBytes in, MutBytes out, const char* in_name);

// A bytes object of `capacity` bytes that the kernel fills with the GIL released, then shrinks to `used`.
class BytesResult {
 public:
  explicit BytesResult(size_t capacity) : obj_(PyBytes_FromStringAndSize(nullptr, static_cast<Py_ssize_t>(capacity))) {
    if (!obj_) throw py::error_already_set();
  }
  ~BytesResult() { Py_XDECREF(obj_); }
  MutBytes span() {
    return {reinterpret_cast<uint8_t*>(PyBytes_AS_STRING(obj_)), static_cast<size_t>(PyBytes_GET_SIZE(obj_))};
  }
  py::bytes finish(size_t used) {
    if (used != static_cast<size_t>(PyBytes_GET_SIZE(obj_)) &&
        _PyBytes_Resize(&obj_, static_cast<Py_ssize_t>(used)) != 0)
      throw py::error_already_set();
    PyObject* o = obj_;
    obj_ = nullptr;
    return py::reinterpret_steal<py::bytes>(o);
  }

 private:
  PyObject* obj_;
};

// A read-only numpy array that takes over a vector's memory: no copy, freed with the array.
template <class T>
py::array_t<T> take_array(std::vector<T>&& v) {
  auto owned = std::make_unique<std::vector<T>>(std::move(v));
  py::capsule owner(owned.get(), [](void* p) { delete static_cast<std::vector<T>*>(p); });
  std::vector<T>* data = owned.release();  // the capsule owns it now
  py::array_t<T> a(static_cast<py::ssize_t>(data->size()), data->data(), owner);
  py::detail::array_proxy(a.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return a;
}

// A read-only numpy view of a vector held by `owner`, the Python object that keeps it alive (a bound class's
// instance, as boost-histogram's views): no copy; the array holds a reference to the owner.
template <class T>
py::array_t<T> view_array(const std::vector<T>& v, py::handle owner) {
  py::array_t<T> a(static_cast<py::ssize_t>(v.size()), v.data(), owner);
  py::detail::array_proxy(a.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return a;
}

// A read-only numpy view of a vector inside an object shared by reference counting: the array holds its own
// reference to the owner (in a capsule), so the vector lives as long as the array does.
template <class T, class Owner>
py::array_t<T> shared_view(const std::vector<T>& v, std::shared_ptr<Owner> owner) {
  auto keep = std::make_unique<std::shared_ptr<Owner>>(std::move(owner));
  py::capsule base(keep.get(), [](void* p) { delete static_cast<std::shared_ptr<Owner>*>(p); });
  keep.release();  // the capsule owns it now
  py::array_t<T> a(static_cast<py::ssize_t>(v.size()), v.data(), base);
  py::detail::array_proxy(a.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return a;
}

// A one-dimensional array argument as a vector (the bound classes' constructors and pickles).
template <class T>
std::vector<T> vector_arg(const py::handle& values, const char* name) {
  auto a = py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(values);
  if (!a || a.ndim() != 1) throw py::value_error(std::string(name) + " must be a one-dimensional array of integers");
  return std::vector<T>(a.data(), a.data() + a.size());
}

// Text of a data set (UIDs, CS values) is ASCII; a corrupt value is passed on as Latin-1 rather than failing to
// decode. An empty one is None (absent).
inline py::object optional_str(const std::string& s) {
  if (s.empty()) return py::none();
  PyObject* o = PyUnicode_DecodeLatin1(s.data(), static_cast<Py_ssize_t>(s.size()), nullptr);
  if (!o) throw py::error_already_set();
  return py::reinterpret_steal<py::object>(o);
}

// The deflate backend of a call's `backend` argument (backends.cpp). Decoding: None is FRAMECODEC_INFLATE when
// set, else libdeflate when built with it (`deflate`: the call decodes deflate frames; otherwise the variable is
// not read and the result unused); encoding: None is zlib. ValueError for an unknown name or a backend this
// build lacks.
DeflateBackend inflate_backend_arg(const py::object& backend, bool deflate = true);
DeflateBackend deflate_backend_arg(const py::object& backend);

// Each area's functions, added to the module by module.cpp.
void add_backends(py::module_& m);
void add_kernels(py::module_& m);
void add_frame_table(py::module_& m);
void add_encaps(py::module_& m);
void add_batch(py::module_& m);
void add_files(py::module_& m);
void add_slide(py::module_& m);

}  // namespace framecodec::bindings
