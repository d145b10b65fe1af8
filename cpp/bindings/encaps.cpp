// Encapsulated Pixel Data: fragment scans, frame tables, writing, and locating Pixel Data in a file.
#include <pybind11/stl.h>

#include <deque>
#include <iterator>
#include <memory>
#include <optional>
#include <string>

#include "bindings/common.h"
#include "dataset_locate.h"
#include "encaps_frames.h"
#include "encaps_scan.h"
#include "encaps_write.h"
#include "errors.h"
#include "le.h"

namespace framecodec::bindings {
namespace {

// (offsets, lengths, basic_offsets, first_item, end, has_delimiter)
py::tuple py_scan_fragments(const py::object& buffer, py::ssize_t offset) {
  Buffer in(buffer, "buffer");
  uint64_t off = non_negative_u64(offset, "offset");
  FragmentScan s;
  {
    py::gil_scoped_release nogil;
    s = scan_fragments(in.bytes(), off);
  }
  return py::make_tuple(take_array(std::move(s.offsets)), take_array(std::move(s.lengths)),
                        take_array(std::move(s.basic_offsets)), s.first_item, s.end, s.has_delimiter);
}

// (positions, lengths, heads of shape (k, 4), next, done): one block of an item walk, offsets absolute.
py::tuple py_walk_items(const py::object& buffer, py::ssize_t offset, py::ssize_t base) {
  Buffer in(buffer, "buffer");
  const uint64_t off = non_negative_u64(offset, "offset");
  const uint64_t b = non_negative_u64(base, "base");
  ItemWalk w;
  {
    py::gil_scoped_release nogil;
    w = walk_items(in.bytes(), off, b);
  }
  const auto k = static_cast<py::ssize_t>(w.positions.size());
  py::array heads = take_array(std::move(w.heads)).reshape({k, py::ssize_t{4}});  // a read-only view, as the rest
  return py::make_tuple(take_array(std::move(w.positions)), take_array(std::move(w.lengths)), heads, w.next, w.done);
}

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

// framecodec.FrameTable: a C++ frame table, never changed, and where the bytes of the buffer it was made from are
// (None for a table made by hand, address 0 for an unpickled one). Its arrays are made once, views of the table's
// vectors that keep the table alive: the same objects each time, shared with the copies _bind makes, so a
// FrameReader's frames and its table pickle them once. A lazy table (a file's Basic or Extended Offset Table, read
// where it lies in the buffer, its frames' items unread) keeps its buffer and reads every frame's items the first
// time its arrays are asked for, so that they always hold each fragment.
struct BoundTable {
  struct Arrays {
    std::shared_ptr<const FrameTable> full;  // the eager table: the table itself, or a lazy one's walk
    py::object offsets, lengths, frame_fragments;
  };
  std::shared_ptr<const FrameTable> table;
  std::optional<uint64_t> buffer_address, buffer_size;
  py::object buffer;  // a lazy table's buffer
  std::shared_ptr<Arrays> arrays = std::make_shared<Arrays>();

  BoundTable(std::shared_ptr<const FrameTable> t, std::optional<uint64_t> address, std::optional<uint64_t> size,
             py::object buf = py::none())
      : table(std::move(t)), buffer_address(address), buffer_size(size), buffer(std::move(buf)) {}
  BoundTable(const BoundTable& b, std::optional<uint64_t> address, std::optional<uint64_t> size) : BoundTable(b) {
    buffer_address = address;
    buffer_size = size;
  }

  const FrameTable& full() const {
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
  const py::object& offsets() const { return full(), arrays->offsets; }
  const py::object& lengths() const { return full(), arrays->lengths; }
  const py::object& frame_fragments() const { return full(), arrays->frame_fragments; }

  uint64_t frames() const { return table->frames(); }
  bool one_fragment_per_frame() const { return full().offsets.size() == frames(); }
};

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

// eot: the Extended Offset Table's values (null: none), offsets and lengths of `count` and `lengths` entries.
BoundTable table_of(const py::object& buffer, const Buffer& in, py::ssize_t number_of_frames, uint64_t offset,
                    const ExtendedOffsets* eot, uint64_t lengths, Codestream cs, bool lazy = false) {
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

void add_frame_table(py::module_& m) {
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

// Checks frames [begin, end) of a table made from an Extended Offset Table against the data, as they are read.
void py_verify_extended_frames(const py::object& buffer, const py::array_t<uint64_t, py::array::c_style>& offsets,
                               const py::array_t<uint64_t, py::array::c_style>& lengths, py::ssize_t begin,
                               py::ssize_t end) {
  Buffer in(buffer, "buffer");
  const py::ssize_t n = offsets.size();
  if (lengths.size() != n || begin < 0 || end < begin || end > n)
    throw py::value_error("verify_extended_frames: inconsistent table or frame range");
  py::gil_scoped_release nogil;
  verify_extended_frames(in.bytes(), offsets.data(), lengths.data(), static_cast<uint64_t>(n),
                         static_cast<uint64_t>(begin), static_cast<uint64_t>(end));
}

OffsetTable offset_table_arg(const std::string& s) {
  if (s == "basic") return OffsetTable::basic;
  if (s == "extended") return OffsetTable::extended;
  if (s == "none") return OffsetTable::none;
  throw py::value_error("offset_table must be \"basic\", \"extended\" or \"none\", got \"" + s + "\"");
}

// The frames' buffers, held (and so unresizable) while the GIL is released.
struct FrameViews {
  std::deque<Buffer> buffers;
  std::vector<ConstBytes> spans;
  explicit FrameViews(const py::iterable& frames) {
    for (py::handle f : frames) {
      buffers.emplace_back(f, "each frame");
      spans.push_back(buffers.back().bytes());
    }
  }
};

py::bytes encapsulate_views(const FrameViews& v, OffsetTable table, bool delimiter) {
  BytesResult out(encapsulated_size(v.spans.data(), v.spans.size(), table, delimiter));
  MutBytes span = out.span();
  {
    py::gil_scoped_release nogil;
    encapsulate(v.spans.data(), v.spans.size(), table, delimiter, span);
  }
  return out.finish(span.size);
}

py::bytes py_encapsulate(const py::iterable& frames, const std::string& offset_table, bool delimiter) {
  OffsetTable table = offset_table_arg(offset_table);
  FrameViews v(frames);
  return encapsulate_views(v, table, delimiter);
}

py::tuple py_encapsulate_extended(const py::iterable& frames, bool delimiter) {
  FrameViews v(frames);
  py::bytes value = encapsulate_views(v, OffsetTable::extended, delimiter);
  const size_t n = v.spans.size();
  std::vector<uint64_t> offsets(n), lengths(n);
  extended_offset_table(v.spans.data(), n, offsets.data(), lengths.data());
  // (7FE0,0001) and (7FE0,0002) are OV: uint64 little endian.
  auto ov = [](const std::vector<uint64_t>& x) {
    BytesResult b(x.size() * 8);
    MutBytes out = b.span();
    for (size_t i = 0; i < x.size(); ++i) store_le64(out.data + 8 * i, x[i]);
    return b.finish(out.size);
  };
  return py::make_tuple(value, ov(offsets), ov(lengths));
}

py::object optional_int(int64_t v) { return v < 0 ? py::object(py::none()) : py::object(py::int_(v)); }

py::object optional_array(bool present, const std::vector<uint64_t>& v, const py::object& owner) {
  return present ? py::object(view_array(v, owner)) : py::object(py::none());
}

// Whether a location holds the Extended Offset Table's values (locate_pixel_data with read_extended), not only where
// they are.
bool extended_read(const PixelDataLocation& l) {
  return l.extended_offsets.size() == l.extended_offsets_count && l.extended_lengths.size() == l.extended_lengths_count;
}

// PixelDataLocation.frame_table: the table of this Pixel Data in the file it came from.
BoundTable location_table(const PixelDataLocation& l, const py::object& buffer, const py::object& number_of_frames,
                          bool lazy) {
  if (!l.encapsulated)
    throw EncapsulationError("the Pixel Data at offset " + std::to_string(l.offset) + " is native (defined length " +
                             std::to_string(l.length) + "), not encapsulated");
  if (number_of_frames.is_none() && l.number_of_frames == 0)
    throw EncapsulationError(
        "(0028,0008) Number of Frames is 0, but the data set has Pixel Data: pass "
        "number_of_frames if the count is known");
  const py::ssize_t n =
      number_of_frames.is_none() ? std::max<py::ssize_t>(l.number_of_frames, 1) : number_of_frames.cast<py::ssize_t>();
  if (l.has_extended_offsets != l.has_extended_lengths)
    throw EncapsulationError(l.has_extended_offsets ? "the data set has (7FE0,0001) Extended Offset Table but no "
                                                      "(7FE0,0002) Extended Offset Table Lengths"
                                                    : "the data set has (7FE0,0002) Extended Offset Table Lengths but "
                                                      "no (7FE0,0001) Extended Offset Table");
  Buffer in(buffer, "buffer");
  const Codestream cs = codestream_for_transfer_syntax(l.transfer_syntax);  // detect for ""
  ExtendedOffsetBytes copied;
  ExtendedOffsets eot;
  if (extended_read(l)) {  // from the location's copy
    eot = host_extended_offsets(l.extended_offsets.data(), l.extended_lengths.data(),
                                std::min(l.extended_offsets.size(), l.extended_lengths.size()), copied);
  } else if (l.has_extended_offsets) {  // where it lies in the buffer, which holds the file the location came from
    const ConstBytes b = in.bytes();
    const uint64_t count = std::min(l.extended_offsets_count, l.extended_lengths_count);
    auto holds = [&](uint64_t at) { return at <= b.size && (b.size - at) / 8 >= count; };
    if (!holds(l.extended_offsets_at) || !holds(l.extended_lengths_at))
      throw py::value_error("the buffer (" + std::to_string(b.size) +
                            " bytes) does not hold the Extended Offset Table of this location's file");
    eot = ExtendedOffsets{b.data + l.extended_offsets_at, b.data + l.extended_lengths_at, count};
  }
  eot.count = l.has_extended_offsets ? l.extended_offsets_count : 0;
  BoundTable b =
      table_of(buffer, in, n, l.offset, l.has_extended_offsets ? &eot : nullptr, l.extended_lengths_count, cs, lazy);
  // In a file the value ends with its sequence delimiter (PS3.5 A.4); running into the end of the data instead
  // means the file was cut short, and the last frame may have lost fragments unless its end is fixed.
  if (!b.table->has_delimiter && !last_frame_whole(in.bytes(), b.full(), l.transfer_syntax))
    throw EncapsulationError("truncated Pixel Data: the encapsulated value at offset " + std::to_string(l.offset) +
                             " runs to the end of the data at byte " + std::to_string(b.table->end) +
                             " without its sequence delimiter (FFFE,E0DD), so frame " + std::to_string(b.frames() - 1) +
                             ", the last, may be missing fragments; the file was cut short");
  return b;
}

py::tuple location_state(const PixelDataLocation& l) {
  return py::make_tuple(
      l.element_offset, l.offset, l.length, l.encapsulated, l.explicit_vr, l.vr, l.transfer_syntax, l.number_of_frames,
      l.has_extended_offsets, l.has_extended_lengths, l.extended_offsets, l.extended_lengths,
      py::make_tuple(l.extended_offsets_at, l.extended_lengths_at, l.extended_offsets_count, l.extended_lengths_count));
}

PixelDataLocation location_from_state(const py::tuple& s) {
  if (s.size() != 12 && s.size() != 13)
    throw py::value_error("a pickled PixelDataLocation has 13 fields, got " + std::to_string(s.size()));
  PixelDataLocation l;
  l.element_offset = s[0].cast<uint64_t>();
  l.offset = s[1].cast<uint64_t>();
  l.length = s[2].cast<uint64_t>();
  l.encapsulated = s[3].cast<bool>();
  l.explicit_vr = s[4].cast<bool>();
  l.vr = s[5].cast<std::string>();
  l.transfer_syntax = s[6].cast<std::string>();
  l.number_of_frames = s[7].cast<int64_t>();
  l.has_extended_offsets = s[8].cast<bool>();
  l.has_extended_lengths = s[9].cast<bool>();
  l.extended_offsets = s[10].cast<std::vector<uint64_t>>();
  l.extended_lengths = s[11].cast<std::vector<uint64_t>>();
  if (s.size() == 13) {
    std::tie(l.extended_offsets_at, l.extended_lengths_at, l.extended_offsets_count, l.extended_lengths_count) =
        s[12].cast<std::tuple<uint64_t, uint64_t, uint64_t, uint64_t>>();
  } else {
    l.extended_offsets_count = l.extended_offsets.size();
    l.extended_lengths_count = l.extended_lengths.size();
  }
  return l;
}

void add_location(py::module_& m) {
  using L = PixelDataLocation;
  py::class_<L>(m, "PixelDataLocation",
                "Where the top-level Pixel Data (7FE0,0010) of a file or data set is, from locate_pixel_data.")
      .def_readonly("element_offset", &L::element_offset, "The (7FE0,0010) tag's first byte.")
      .def_readonly("offset", &L::offset,
                    "The value's first byte: for encapsulated data, the Basic Offset Table's item tag.")
      .def_property_readonly(
          "length", [](const L& l) { return l.encapsulated ? py::object(py::none()) : py::object(py::int_(l.length)); },
          "The value's length, or None when it is undefined (encapsulated data ends at its sequence delimiter).")
      .def_readonly("encapsulated", &L::encapsulated, "Undefined length: a sequence of fragment items (PS3.5 A.4).")
      .def_property_readonly(
          "transfer_syntax", [](const L& l) { return optional_str(l.transfer_syntax); },
          "(0002,0010) Transfer Syntax UID; None when the data has no file meta information.")
      .def_property_readonly(
          "number_of_frames", [](const L& l) { return optional_int(l.number_of_frames); },
          "Top-level (0028,0008) Number of Frames; None when absent or not an integer.")
      .def_property_readonly(
          "extended_offsets",
          [](const py::object& self) {
            const L& l = self.cast<const L&>();
            if (!extended_read(l)) throw py::value_error("this location was made without reading (7FE0,0001)");
            return optional_array(l.has_extended_offsets, l.extended_offsets, self);
          },
          "(7FE0,0001) Extended Offset Table, None when absent. Read-only.")
      .def_property_readonly(
          "extended_lengths",
          [](const py::object& self) {
            const L& l = self.cast<const L&>();
            if (!extended_read(l)) throw py::value_error("this location was made without reading (7FE0,0002)");
            return optional_array(l.has_extended_lengths, l.extended_lengths, self);
          },
          "(7FE0,0002) Extended Offset Table Lengths, None when absent. Read-only.")
      .def_property_readonly(
          "vr", [](const L& l) { return optional_str(l.vr); },
          "\"OB\" or \"OW\" in an explicit VR data set, None in implicit VR.")
      .def_readonly("explicit_vr", &L::explicit_vr,
                    "Whether the data set is explicit VR (it may contradict the transfer syntax; it is read as "
                    "encoded).")
      .def("frame_table", &location_table, py::arg("buffer"), py::arg("number_of_frames") = py::none(),
           py::arg("lazy") = false,
           "frame_table of this Pixel Data in buffer, which holds the file this location came from.\n\n"
           "number_of_frames defaults to the data set's Number of Frames, or 1 when it has none; a Number of Frames "
           "of 0 is an EncapsulationError (a data set with Pixel Data has a frame). A value that runs into the end "
           "of the data without its sequence delimiter is an EncapsulationError unless its last frame is known to "
           "be whole (an Extended Offset Table; one fragment per frame in RLE, Deflated Image Frame Compression or "
           "Encapsulated Uncompressed; a JPEG-family codestream that ends with its end marker).\n\n"
           "lazy: with a Basic Offset Table, or an Extended Offset Table this location did not copy (read_extended="
           "False), the table is read where it lies in buffer and only its first and last frames' items are read; "
           "each other frame's items are read and checked when it is read (_select), or all of them when the "
           "table's offsets, lengths or frame_fragments are first asked for (the table keeps buffer for that).")
      .def("__eq__",
           [](const L& a, const py::object& other) -> py::object {
             if (!py::isinstance<L>(other)) return py::reinterpret_borrow<py::object>(Py_NotImplemented);
             return location_state(a).equal(location_state(other.cast<const L&>())) ? py::bool_(true)
                                                                                    : py::bool_(false);
           })
      .def("__repr__",
           [](const L& l) {
             std::string r = "PixelDataLocation(offset=" + std::to_string(l.offset) + ", ";
             r += l.encapsulated ? "encapsulated" : "length=" + std::to_string(l.length);
             r += ", transfer_syntax=" + (l.transfer_syntax.empty() ? "None" : "'" + l.transfer_syntax + "'");
             r += ", number_of_frames=" + (l.number_of_frames < 0 ? "None" : std::to_string(l.number_of_frames));
             if (l.has_extended_offsets) r += ", extended offset table of " + std::to_string(l.extended_offsets_count);
             return r + (l.explicit_vr ? ", explicit VR)" : ", implicit VR)");
           })
      .def(py::pickle(&location_state, &location_from_state));
}

py::object py_locate_buffer(const py::object& buffer, bool read_extended) {
  Buffer in(buffer, "buffer");
  PixelDataLocation l;
  {
    py::gil_scoped_release nogil;
    MemorySource src(in.bytes());
    l = locate_pixel_data(src, read_extended);
  }
  return py::cast(std::move(l));
}

py::object py_locate_file(const py::object& path) {
  const std::string p = fs_path(path);
  PixelDataLocation l;
  try {
    py::gil_scoped_release nogil;
    FileSource src(p);
    l = locate_pixel_data(src);
  } catch (const FileError& e) {
    raise_file_error(e, path);
  }
  return py::cast(std::move(l));
}

}  // namespace

void add_encaps(py::module_& m) {
  add_frame_table(m);
  add_location(m);
  m.def("_scan_fragments", &py_scan_fragments, py::arg("buffer"), py::arg("offset") = 0,
        "Walk an encapsulated Pixel Data value; framecodec.scan_fragments wraps the result.");
  m.def("_walk_items", &py_walk_items, py::arg("buffer"), py::arg("offset"), py::arg("base"),
        "Walk the items of one block of an encapsulated value read from file offset base; offsets are absolute.");
  m.def("_verify_extended_frames", &py_verify_extended_frames, py::arg("buffer"), py::arg("offsets"),
        py::arg("lengths"), py::arg("begin"), py::arg("end"),
        "Check frames [begin, end) of an Extended Offset Table frame table against the data.");
  m.def("_buffer_span", &py_buffer_span, py::arg("buffer"), "(address, size) of a buffer's bytes.");
  m.def("_frame_table", &py_frame_table, py::arg("buffer"), py::arg("number_of_frames"), py::arg("offset"),
        py::arg("extended_offsets"), py::arg("extended_lengths"), py::arg("transfer_syntax"),
        "Assign fragments to frames; framecodec.frame_table checks the arguments.");
  m.def("_table_from_state", &table_from_state, py::arg("state"),
        "A FrameTable from its pickled state or a lazy table's _lazy_state (then to be bound to its file's buffer).");
  m.def("_locate_pixel_data_buffer", &py_locate_buffer, py::arg("buffer"), py::arg("read_extended") = true,
        "Find Pixel Data in a buffer; framecodec.locate_pixel_data chooses between the two. read_extended=False: "
        "the Extended Offset Table's values are not copied (frame_table reads them where they lie in the buffer; "
        "extended_offsets and extended_lengths raise ValueError).");
  m.def("_locate_pixel_data_file", &py_locate_file, py::arg("path"),
        "Find Pixel Data in a file, reading only its header; framecodec.locate_pixel_data chooses between the two.");
  m.def("encapsulate", &py_encapsulate, py::arg("frames"), py::arg("offset_table") = "basic",
        py::arg("delimiter") = false,
        "Encapsulate frames, one fragment each, as pydicom.encaps.encapsulate does (PS3.5 A.4).");
  m.def("encapsulate_extended", &py_encapsulate_extended, py::arg("frames"), py::arg("delimiter") = false,
        "Encapsulate frames with an empty BOT and return (value, Extended Offset Table, its Lengths) as bytes.");
}

}  // namespace framecodec::bindings
