// The bound framecodec.FrameTable (frame_table.cpp), which PixelDataLocation.frame_table (encaps.cpp) also makes.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <utility>

#include "bindings/common.h"
#include "encaps_frames.h"

namespace framecodec::bindings {

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

  // The eager table, read from the buffer the first time it is asked for (a lazy table's items walked).
  const FrameTable& full() const;
  const py::object& offsets() const { return full(), arrays->offsets; }
  const py::object& lengths() const { return full(), arrays->lengths; }
  const py::object& frame_fragments() const { return full(), arrays->frame_fragments; }

  uint64_t frames() const { return table->frames(); }
  bool one_fragment_per_frame() const { return full().offsets.size() == frames(); }
};

// The table of the encapsulated value at `offset` in `in` (the bytes of `buffer`, which a lazy table keeps).
// eot: the Extended Offset Table's values (null: none), offsets and lengths of `count` and `lengths` entries.
BoundTable table_of(const py::object& buffer, const Buffer& in, py::ssize_t number_of_frames, uint64_t offset,
                    const ExtendedOffsets* eot, uint64_t lengths, Codestream cs, bool lazy = false);

}  // namespace framecodec::bindings
