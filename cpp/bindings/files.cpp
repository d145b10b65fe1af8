// Files: a read-only memory map that Python buffers (memoryviews, numpy arrays) can view. Each view holds a
// reference to the map, so a reader can let go of it while frames it returned are still in use: the pages
// are unmapped when the last view is gone (mmap.mmap instead refuses to close while views exist).
#include <cerrno>
#include <memory>
#include <system_error>

#include "bindings/common.h"
#include "mapped_file.h"

namespace framecodec::bindings {

void add_files(py::module_& m) {
  py::class_<MappedFile, std::shared_ptr<MappedFile>>(m, "MappedFile", py::buffer_protocol(),
                                                        "A whole file mapped read-only; a bytes-like object.")
      .def(py::init([](const py::object& path) {
             // os.fspath: str or PathLike; os.fsencode: the bytes the OS takes. A NUL cannot be in a path.
             py::object os = py::module_::import("os");
             std::string p = os.attr("fsencode")(os.attr("fspath")(path)).cast<std::string>();
             if (p.find('\0') != std::string::npos) throw py::value_error("embedded null byte in the path");
             try {
               py::gil_scoped_release nogil;
               return std::make_shared<MappedFile>(p);
             } catch (const std::system_error& e) {
               errno = e.code().value();
               PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, path.ptr());
               throw py::error_already_set();
             }
           }),
           py::arg("path"))
      .def("__len__", [](const MappedFile& f) { return f.size(); })
      .def_buffer([](MappedFile& f) {
        static uint8_t empty = 0;  // a view of an empty file still needs an address
        ConstBytes b = f.bytes();
        return py::buffer_info(const_cast<uint8_t*>(b.data ? b.data : &empty), 1, "B", 1,
                               {static_cast<py::ssize_t>(b.size)}, {1}, /*readonly=*/true);
      });
}

}  // namespace framecodec::bindings
