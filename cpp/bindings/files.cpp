// Files: a read-only memory map that Python buffers (memoryviews, numpy arrays) can view. Each view holds a
// reference to the map, so a reader can let go of it while frames it returned are still in use: the pages
// are unmapped when the last view is gone (mmap.mmap instead refuses to close while views exist).
#include <memory>

#include "bindings/common.h"
#include "mapped_file.h"

namespace framecodec::bindings {

void add_files(py::module_& m) {
  py::class_<MappedFile, std::shared_ptr<MappedFile>>(m, "MappedFile", py::buffer_protocol(),
                                                      "A whole file mapped read-only; a bytes-like object.")
      .def(py::init([](const py::object& path) {
             const std::string p = fs_path(path);
             try {
               py::gil_scoped_release nogil;
               return std::make_shared<MappedFile>(p);
             } catch (const FileError& e) {
               raise_file_error(e, path);
             }
           }),
           py::arg("path"))
      .def("__len__", [](const MappedFile& f) { return f.size(); })
      .def("drop", &MappedFile::drop, py::arg("offset"), py::arg("length"),
           "Take the pages wholly inside [offset, offset + length) out of this process's resident memory; they "
           "are read again from the file when touched.")
      .def_buffer([](MappedFile& f) {
        static uint8_t empty = 0;  // a view of an empty file still needs an address
        ConstBytes b = f.bytes();
        return py::buffer_info(const_cast<uint8_t*>(b.data ? b.data : &empty), 1, "B", 1,
                               {static_cast<py::ssize_t>(b.size)}, {1}, /*readonly=*/true);
      });
}

}  // namespace framecodec::bindings
