"""scan_fragments against pydicom.encaps: the shapes of encapsulated values, the sequence delimiter, every
buffer type, read-only results."""

from __future__ import annotations

import mmap

import numpy as np
import pytest
from pydicom.encaps import encapsulate as pd_encapsulate
from pydicom.encaps import parse_fragments

import framecodec as fc
from encaps_scan_util import frames_of, random_frames
from encaps_util import (
    DELIMITER,
    frame_items_bot,
    pydicom_fragments,
    value,
)


def check_scan_against_pydicom(buffer: bytes, prefix: int = 0) -> fc.encaps.FragmentTable:
    """scan_fragments of `buffer` (placed after `prefix` junk bytes) agrees with pydicom's parsers."""
    padded = b"\x5a" * prefix + buffer
    t = fc.encaps.scan_fragments(padded, prefix)
    bot, item_offsets, frags = pydicom_fragments(buffer)
    assert t.basic_offsets.tolist() == bot
    assert t.first_item == prefix + 8 + 4 * len(bot)
    assert (t.offsets - 8 - prefix).tolist() == item_offsets
    assert t.lengths.tolist() == [len(f) for f in frags]
    assert [padded[o : o + n] for o, n in zip(t.offsets.tolist(), t.lengths.tolist())] == frags
    assert t.offsets.dtype == np.uint64 and t.lengths.dtype == np.uint64
    return t


@pytest.mark.parametrize("delimiter", [True, False])
@pytest.mark.parametrize("prefix", [0, 3, 132])
def test_scan_shapes(delimiter: bool, prefix: int) -> None:
    frames = random_frames(9, 1, 120, seed=prefix)
    shapes = {
        "empty BOT": value(frames, None, delimiter),
        "full BOT": value(frames, frame_items_bot([[f] for f in frames]), delimiter),
        "odd fragments": value([b"a", b"bcd", b"ef", b"ghijk"], None, delimiter),
        "zero-length fragment": value([b"", b"ab", b""], None, delimiter),
        "pydicom BOT": pd_encapsulate(frames) + (DELIMITER if delimiter else b""),
        "pydicom 3 fragments per frame": pd_encapsulate([f * 6 for f in frames], fragments_per_frame=3)
        + (DELIMITER if delimiter else b""),
        "no fragments": value([], None, delimiter),
    }
    for name, buf in shapes.items():
        t = check_scan_against_pydicom(buf, prefix)
        assert t.has_delimiter is delimiter, name
        assert t.end == prefix + len(buf), name


def test_scan_stops_at_the_delimiter() -> None:
    buf = value([b"abcd", b"ef"]) + b"\x10\x00\x20\x00OB trailing data of the next element"
    t = fc.encaps.scan_fragments(buf)
    assert len(t) == 2 and t.has_delimiter
    assert t.end == len(value([b"abcd", b"ef"]))
    # pydicom also stops at the delimiter
    assert parse_fragments(buf[8:])[0] == 2


def test_scan_any_buffer_type(tmp_path) -> None:
    buf = pd_encapsulate(random_frames(20, 2, 80))
    ref = fc.encaps.scan_fragments(buf)
    path = tmp_path / "v.bin"
    path.write_bytes(buf)
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        t = fc.encaps.scan_fragments(mm)
        assert t.offsets.tolist() == ref.offsets.tolist()
        table = fc.encaps.frame_table(mm, 20)
        views = [fc.encaps.frame_bytes(mm, table, i) for i in range(20)]
        assert all(isinstance(v, memoryview) for v in views)
        assert [bytes(v) for v in views] == frames_of(buf, fc.encaps.frame_table(buf, 20))
        del views
    for other in (bytearray(buf), memoryview(buf), np.frombuffer(buf, np.uint8)):
        assert fc.encaps.scan_fragments(other).offsets.tolist() == ref.offsets.tolist()
    # a wider numpy array is read as its bytes
    assert fc.encaps.scan_fragments(np.frombuffer(buf, "<u2")).lengths.tolist() == ref.lengths.tolist()


def test_result_arrays_are_read_only() -> None:
    t = fc.encaps.frame_table(pd_encapsulate([b"ab", b"cd"]), 2)
    for a in (t.offsets, t.lengths, t.frame_fragments):
        assert not a.flags.writeable
        with pytest.raises(ValueError):
            a[0] = 1
