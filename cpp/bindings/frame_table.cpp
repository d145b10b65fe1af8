// framecodec.FrameTable: which fragments make up each frame, its lazy reading of a file's offset table, and its
// pickling.
#include "bindings/frame_table.h"

#include <pybind11/stl.h>

#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <tuple>

#include "errors.h"

namespace framecodec::bindings {

const FrameTable& BoundTable::full() const {
  Arrays& a = *arrays;
  if (a.full) return *a.full;
  if (!table->lazy()) {
    a.full = table;
  } else {
    if (buffer.is_none())
      throw py::value_error(
          "this lazy frame table was unpickled: it reads its file's offset table, so bind it to "
          "the file's buffer first (_bind; FrameReader does)");
    Buffer in(buffer, "the table's buffer");
    if (buffer_address &&
        (reinterpret_cast<uintptr_t>(in.bytes().data) != *buffer_address || in.size() != buffer_size.value_or(0)))
      throw py::value_error("this frame table's buffer has changed since it was made");
    FrameTable t;
    {
      py::gil_scoped_release nogil;
      t = resolve_items(in.bytes(), *table);
    }
    a.full = std::make_shared<const FrameTable>(std::move(t));
  }
  a.offsets = shared_view(a.full->offsets, a.full);
  a.lengths = shared_view(a.full->lengths, a.full);
  a.frame_fragments = shared_view(a.full->frame_fragments, a.full);
  return *a.full;
}

BoundTable table_of(const py::object& buffer, const Buffer& in, py::ssize_t number_of_frames, uint64_t offset,
                    const ExtendedOffsets* eot, uint64_t lengths, Codestream cs, bool lazy) {
  if (number_of_frames < 1)
    throw py::value_error("number_of_frames must be at least 1, got " + std::to_string(number_of_frames));
  if (eot && eot->count != lengths)
    throw EncapsulationError("the Extended Offset Table has " + std::to_string(eot->count) +
                             " offsets but its Lengths table has " + std::to_string(lengths) + " entries");
  // Empty (7FE0,0001/0002) elements say as little as an empty Basic Offset Table.
  const bool use_eot = eot && eot->count != 0;
  FrameTable t;
  {
    py::gil_scoped_release nogil;
    t = build_frame_table(in.bytes(), offset, static_cast<uint64_t>(number_of_frames), use_eot ? eot : nullptr, cs,
                          lazy);
  }
  const bool keep = t.lazy();
  return BoundTable(std::make_shared<const FrameTable>(std::move(t)), reinterpret_cast<uintptr_t>(in.bytes().data),
                    in.size(), keep ? buffer : py::none());
}

namespace {

const char* const kSourceNames[] = {"extended", "basic", "one_per_frame", "single_frame", "markers"};  // FrameSource
static_assert(static_cast<size_t>(FrameSource::codestream_markers) + 1 == std::size(kSourceNames),
              "one name per FrameSource, in its order");

FrameSource source_arg(const std::string& s) {
  for (size_t i = 0; i < std::size(kSourceNames); ++i)
    if (s == kSourceNames[i]) return static_cast<FrameSource>(i);
  throw py::value_error(
      "source must be one of \"extended\", \"basic\", \"one_per_frame\", \"single_frame\", "
      "\"markers\", got \"" +
      s + "\"");
}

BoundTable make_table(std::vector<uint64_t> offsets, std::vector<uint64_t> lengths, std::vector<uint64_t> ff,
                      FrameSource source, uint64_t first_item, uint64_t end, bool has_delimiter,
                      std::optional<uint64_t> address, std::optional<uint64_t> size) {
  if (offsets.size() != lengths.size())
    throw py::value_error("offsets and lengths must have one entry per fragment, got " +
                          std::to_string(offsets.size()) + " and " + std::to_string(lengths.size()));
  if (ff.empty() || ff.front() != 0 || ff.back() != offsets.size())
    throw py::value_error("frame_fragments must run from 0 to the number of fragments (" +
                          std::to_string(offsets.size()) + ")");
  for (size_t i = 1; i < ff.size(); ++i)
    if (ff[i] < ff[i - 1])
      throw py::value_error("frame_fragments must not decrease (at frame " + std::to_string(i) + ")");
  auto t = std::make_shared<FrameTable>();
  t->offsets = std::move(offsets);
  t->lengths = std::move(lengths);
  t->frame_fragments = std::move(ff);
  t->source = source;
  t->first_item = first_item;
  t->end = end;
  t->has_delimiter = has_delimiter;
  return BoundTable(std::move(t), address, size);
}

// A frame index as pixel_array takes it: an int or numpy integer (not a bool), negative from the end.
uint64_t frame_index(const py::object& index, uint64_t n) {
  if (PyBool_Check(index.ptr())) throw py::type_error("a frame index must be an int, not bool");
  PyObject* o = PyNumber_Index(index.ptr());
  if (!o) {
    PyErr_Clear();
    throw py::type_error("a frame index must be an int, not " +
                         std::string(py::str(py::type::of(index).attr("__name__"))));
  }
  int overflow = 0;
  const long long i = PyLong_AsLongLongAndOverflow(o, &overflow);
  Py_DECREF(o);
  const long long k = i < 0 ? i + static_cast<long long>(n) : i;
  if (overflow != 0 || k < 0 || static_cast<uint64_t>(k) >= n)
    throw py::index_error("frame index " + std::string(py::str(index)) + " out of range for " + std::to_string(n) +
                          " frames");
  return static_cast<uint64_t>(k);
}

// Where a buffer's bytes are: frame_bytes and iter_frames compare it with the buffer a table was made from.
py::tuple py_buffer_span(const py::object& buffer) {
  Buffer in(buffer, "buffer");
  return py::make_tuple(reinterpret_cast<uintptr_t>(in.bytes().data), in.size());
}

Codestream codestream_arg(const py::object& transfer_syntax) {
  return transfer_syntax.is_none() ? Codestream::detect
                                   : codestream_for_transfer_syntax(utf8_arg(transfer_syntax, "transfer_syntax"));
}

BoundTable py_frame_table(const py::object& buffer, py::ssize_t number_of_frames, py::ssize_t offset,
                          const py::object& extended_offsets, const py::object& extended_lengths,
                          const py::object& transfer_syntax) {
  Buffer in(buffer, "buffer");
  const uint64_t off = non_negative_u64(offset, "offset");
  if (extended_offsets.is_none() != extended_lengths.is_none())
    throw py::value_error("extended_offsets and extended_lengths must be given together");
  const Codestream cs = codestream_arg(transfer_syntax);
  if (extended_offsets.is_none()) return table_of(buffer, in, number_of_frames, off, nullptr, 0, cs);
  const std::vector<uint64_t> eo = vector_arg<uint64_t>(extended_offsets, "extended_offsets");
  const std::vector<uint64_t> el = vector_arg<uint64_t>(extended_lengths, "extended_lengths");
  ExtendedOffsetBytes storage;
  ExtendedOffsets eot = host_extended_offsets(eo.data(), el.data(), std::min(eo.size(), el.size()), storage);
  eot.count = eo.size();
  return table_of(buffer, in, number_of_frames, off, &eot, el.size(), cs);
}

// A lazy table's state without its arrays: where its offset table lies in the file (FrameReader pickles this, so
// that neither pickling nor unpickling reads every frame's items); None for another table. table_from_state makes
// the table again, to be bound to the file's buffer (_bind).
py::object lazy_state(const BoundTable& b) {
  const FrameTable& t = *b.table;
  if (!t.lazy()) return py::none();
  py::array_t<uint64_t> none(0);
  py::object address = b.buffer_address ? py::object(py::int_(0)) : py::object(py::none());
  return py::make_tuple(none, none, none, kSourceNames[static_cast<size_t>(t.source)], t.first_item, t.end,
                        t.has_delimiter, address, b.buffer_size,
                        py::make_tuple(t.lazy_frames, t.table_at, t.lengths_at, t.items_end));
}

py::tuple table_state(const BoundTable& b) {
  const FrameTable& t = *b.table;
  // Pickled, a table leaves its buffer behind: its address means nothing in another process, so it is marked 0
  // ("from elsewhere") and frame_bytes refuses it. FrameReader pickles by path and binds its table to the file
  // mapped where it is unpickled.
  py::object address = b.buffer_address ? py::object(py::int_(0)) : py::object(py::none());
  return py::make_tuple(b.offsets(), b.lengths(), b.frame_fragments(), kSourceNames[static_cast<size_t>(t.source)],
                        t.first_item, t.end, t.has_delimiter, address, b.buffer_size);
}

BoundTable table_from_state(const py::tuple& s) {
  if (s.size() != 9 && s.size() != 10)
    throw py::value_error("a pickled FrameTable has 9 or 10 fields, got " + std::to_string(s.size()));
  if (s.size() == 10) {  // a lazy table: bound to its file's buffer again (_bind) before it is read
    const auto lazy = s[9].cast<std::tuple<uint64_t, uint64_t, uint64_t, uint64_t>>();
    const FrameSource source = source_arg(s[3].cast<std::string>());
    if (std::get<0>(lazy) == 0 ||
        (source != FrameSource::basic_offset_table && source != FrameSource::extended_offset_table))
      throw py::value_error("a pickled lazy FrameTable needs frames and a Basic or Extended Offset Table");
    auto t = std::make_shared<FrameTable>();
    std::tie(t->lazy_frames, t->table_at, t->lengths_at, t->items_end) = lazy;
    t->source = source;
    t->first_item = s[4].cast<uint64_t>();
    t->end = s[5].cast<uint64_t>();
    t->has_delimiter = s[6].cast<bool>();
    return BoundTable(std::move(t), s[7].cast<std::optional<uint64_t>>(), s[8].cast<std::optional<uint64_t>>());
  }
  return make_table(vector_arg<uint64_t>(s[0], "offsets"), vector_arg<uint64_t>(s[1], "lengths"),
                    vector_arg<uint64_t>(s[2], "frame_fragments"), source_arg(s[3].cast<std::string>()),
                    s[4].cast<uint64_t>(), s[5].cast<uint64_t>(), s[6].cast<bool>(),
                    s[7].cast<std::optional<uint64_t>>(), s[8].cast<std::optional<uint64_t>>());
}

void add_frame_table_class(py::module_& m) {
  py::class_<BoundTable>(m, "FrameTable",
                         "Which fragments make up each frame, as frame_table found them.\n\n"
                         "Frame i is made of fragments frame_fragments[i] up to (not including) "
                         "frame_fragments[i + 1], in order; every frame found in a value has at least one. The arrays "
                         "are read-only views.")
      .def(py::init([](const py::object& offsets, const py::object& lengths, const py::object& frame_fragments,
                       const std::string& source, uint64_t first_item, uint64_t end, bool has_delimiter,
                       std::optional<uint64_t> buffer_address, std::optional<uint64_t> buffer_size) {
             return make_table(vector_arg<uint64_t>(offsets, "offsets"), vector_arg<uint64_t>(lengths, "lengths"),
                               vector_arg<uint64_t>(frame_fragments, "frame_fragments"), source_arg(source), first_item,
                               end, has_delimiter, buffer_address, buffer_size);
           }),
           py::arg("offsets"), py::arg("lengths"), py::arg("frame_fragments"), py::arg("source"), py::arg("first_item"),
           py::arg("end"), py::arg("has_delimiter"), py::arg("buffer_address") = py::none(),
           py::arg("buffer_size") = py::none())
      .def_property_readonly("offsets", &BoundTable::offsets)
      .def_property_readonly("lengths", &BoundTable::lengths)
      .def_property_readonly("frame_fragments", &BoundTable::frame_fragments)
      .def_property_readonly("_lazy_state", &lazy_state,
                             "A lazy table's state without its arrays (where its offset table lies in the file), else "
                             "None; _core._table_from_state makes the table again.")
      .def_property_readonly(
          "_lazy", [](const BoundTable& b) { return b.table->lazy(); },
          "Whether this table reads its offset table where it lies in the buffer, each frame's items when read.")
      .def(
          "_select",
          [](const BoundTable& b, const py::object& buffer, const py::object& frames) {
            py::array_t<int64_t, py::array::c_style | py::array::forcecast> idx =
                py::array_t<int64_t, py::array::c_style | py::array::forcecast>::ensure(frames);
            if (!idx || idx.ndim() != 1) {
              PyErr_Clear();
              throw py::type_error("frames must be a one-dimensional array of frame indices");
            }
            Buffer in(buffer, "buffer");
            const FrameTable& t = b.table->lazy() ? *b.table : b.full();
            std::vector<uint64_t> o, l, ff;
            {
              py::gil_scoped_release nogil;
              select_items(in.bytes(), t, idx.data(), static_cast<size_t>(idx.size()), o, l, ff);
            }
            return py::make_tuple(take_array(std::move(o)), take_array(std::move(l)), take_array(std::move(ff)));
          },
          py::arg("buffer"), py::arg("frames"),
          "(offsets, lengths, frame_fragments) of the given frames only, in that order: a lazy table walks their "
          "items in buffer, the buffer it was made from, and raises EncapsulationError naming a broken frame.")
      .def_property_readonly("source",
                             [](const BoundTable& b) { return kSourceNames[static_cast<size_t>(b.table->source)]; })
      .def_property_readonly("first_item", [](const BoundTable& b) { return b.table->first_item; })
      .def_property_readonly("end", [](const BoundTable& b) { return b.table->end; })
      .def_property_readonly("has_delimiter", [](const BoundTable& b) { return b.table->has_delimiter; })
      .def_readonly("buffer_address", &BoundTable::buffer_address)
      .def_readonly("buffer_size", &BoundTable::buffer_size)
      .def_property_readonly("number_of_frames", &BoundTable::frames)
      .def_property_readonly("one_fragment_per_frame", &BoundTable::one_fragment_per_frame)
      .def_property_readonly("frame_lengths",
                             [](const BoundTable& b) -> py::object {
                               if (b.one_fragment_per_frame()) return b.lengths();
                               const FrameTable& t = b.full();
                               std::vector<uint64_t> sums(b.frames());
                               for (size_t i = 0; i < sums.size(); ++i)
                                 for (uint64_t k = t.frame_fragments[i]; k < t.frame_fragments[i + 1]; ++k)
                                   sums[i] += t.lengths[k];
                               return take_array(std::move(sums));
                             })
      .def("__len__", &BoundTable::frames)
      .def(
          "fragments",
          [](const BoundTable& b, const py::object& index) {
            const uint64_t i = frame_index(index, b.frames());
            const FrameTable& t = b.full();
            return py::reinterpret_borrow<py::object>(reinterpret_cast<PyObject*>(&PyRange_Type))(
                t.frame_fragments[i], t.frame_fragments[i + 1]);
          },
          py::arg("index"), "The indices (into offsets and lengths) of frame index's fragments.")
      .def(
          "_bind",
          [](const BoundTable& b, const py::object& buffer) {
            Buffer in(buffer, "buffer");
            BoundTable r(b, reinterpret_cast<uintptr_t>(in.bytes().data), in.size());
            if (b.table->lazy()) r.buffer = buffer;
            return r;
          },
          py::arg("buffer"), "This table for buffer, which the caller knows holds the same bytes (the same file).")
      .def("__eq__",
           [](const BoundTable& a, const py::object& other) -> py::object {
             if (!py::isinstance<BoundTable>(other)) return py::reinterpret_borrow<py::object>(Py_NotImplemented);
             const FrameTable &x = a.full(), &y = other.cast<const BoundTable&>().full();  // the buffer aside
             return py::bool_(x.offsets == y.offsets && x.lengths == y.lengths &&
                              x.frame_fragments == y.frame_fragments && x.source == y.source &&
                              x.first_item == y.first_item && x.end == y.end && x.has_delimiter == y.has_delimiter);
           })
      .def("__repr__",
           [](const BoundTable& b) {
             const FrameTable& t = *b.table;
             const std::string fragments = t.lazy() && !b.arrays->full
                                               ? "fragments walked when read"
                                               : std::to_string(b.full().offsets.size()) + " fragments";
             return "FrameTable(" + std::to_string(b.frames()) + " frames, " + fragments + ", source='" +
                    kSourceNames[static_cast<size_t>(t.source)] + "', first_item=" + std::to_string(t.first_item) +
                    ", end=" + std::to_string(t.end) + ", has_delimiter=" + (t.has_delimiter ? "True" : "False") + ")";
           })
      .def(py::pickle(&table_state, &table_from_state));
}

}  // namespace

void add_frame_table(py::module_& m) {
  add_frame_table_class(m);
  m.def("_buffer_span", &py_buffer_span, py::arg("buffer"), "(address, size) of a buffer's bytes.");
  m.def("_frame_table", &py_frame_table, py::arg("buffer"), py::arg("number_of_frames"), py::arg("offset"),
        py::arg("extended_offsets"), py::arg("extended_lengths"), py::arg("transfer_syntax"),
        "Assign fragments to frames; framecodec.frame_table checks the arguments.");
  m.def("_table_from_state", &table_from_state, py::arg("state"),
        "A FrameTable from its pickled state or a lazy table's _lazy_state (then to be bound to its file's buffer).");
}

}  // namespace framecodec::bindings
