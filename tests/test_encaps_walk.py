"""The incremental walk of an encapsulated value in blocks (for remote reads), against a reference walk of the
whole value: resuming at every cut, items longer than a block, delimiters, bad tags and offsets near 2**64."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydicom.encaps import encapsulate as pd_encapsulate

import framecodec as fc
from encaps_util import (
    DELIMITER,
    item,
)


def ref_walk(data: bytes, start: int) -> tuple[list[int], list[int], list[bytes], int]:
    """The whole walk, independent of framecodec: (item tag offsets, lengths, first 4 value bytes zero-filled,
    offset past the sequence delimiter) of the value at `start` in `data` (PS3.5 A.4, 7.5)."""
    positions, lengths, heads = [], [], []
    pos = start
    while True:
        group, element, length = struct.unpack_from("<2HI", data, pos)
        if (group, element) == (0xFFFE, 0xE0DD):
            return positions, lengths, heads, pos + 8
        assert (group, element) == (0xFFFE, 0xE000) and length != 0xFFFFFFFF
        positions.append(pos)
        lengths.append(length)
        heads.append(data[pos + 8 : pos + 8 + min(4, length)].ljust(4, b"\0"))
        pos += 8 + length


def walk_blocks(data: bytes, start: int, blocks: list[int]) -> tuple[list[int], list[int], list[bytes], int]:
    """_walk_items over `data` read as blocks of the given sizes (the last size repeats), each from `next`."""
    positions, lengths, heads = [], [], []
    base, offset, k = 0, start, 0
    while True:
        size = blocks[min(k, len(blocks) - 1)]
        k += 1
        block = data[base : base + size] if k > 1 else data[: start + size]
        p, n, h, nxt, done = fc._core._walk_items(block, offset, base)
        assert p.dtype == n.dtype == np.uint64 and h.dtype == np.uint8 and h.shape == (len(p), 4)
        positions += p.tolist()
        lengths += n.tolist()
        heads += [bytes(r) for r in h]
        if done:
            return positions, lengths, heads, nxt
        assert nxt > base + offset or p.size or len(block) - offset < 12, "no progress on a block that holds a head"
        base, offset = nxt, 0


def walk_value(fragments: list[bytes], has_bot: bool, prefix: int = 0) -> tuple[bytes, int]:
    """A file's bytes: `prefix` junk bytes, then pydicom's encapsulation of the fragments with the delimiter,
    then junk a walk must not read."""
    return b"\x5a" * prefix + pd_encapsulate(fragments, has_bot=has_bot) + DELIMITER + b"\xa5" * 16, prefix


def test_walk_whole_value_matches_reference() -> None:
    data, start = walk_value([b"\x01\x02\x03\x04\x05\x06", b"ab", b"\x09", b"\xff\xd8\xff\xe0" + bytes(30)], True, 7)
    p, n, h, nxt, done = fc._core._walk_items(data, start, 0)
    positions, lengths, heads, end = ref_walk(data, start)
    assert (p.tolist(), n.tolist(), [bytes(r) for r in h], nxt, done) == (positions, lengths, heads, end, True)
    assert heads[1] == b"\x01\x02\x03\x04" and heads[-1] == b"\xff\xd8\xff\xe0"
    # The same bytes read from another file offset: every offset moves by the base, nothing else changes.
    p2, n2, h2, nxt2, done2 = fc._core._walk_items(data[start:], 0, 1000)
    assert (p2 - 1000).tolist() == [x - start for x in positions] and n2.tolist() == lengths
    assert (nxt2 - 1000, done2) == (end - start, True)
    assert (h2 == h).all() and not h.flags.writeable


@pytest.mark.parametrize("has_bot", [True, False])
def test_walk_resumes_at_every_cut(has_bot: bool) -> None:
    data, start = walk_value([b"\x11" * 2, b"\x22" * 10, b"\x33" * 4, b"\x44" * 6], has_bot, 3)
    expected = ref_walk(data, start)
    end = expected[3]
    for cut in range(start, end + 1):
        _, _, _, nxt, done = fc._core._walk_items(data[:cut], start, 0)
        # The walk stops at the tag of an item (or of the delimiter) it could not read whole, or past the delimiter.
        assert (nxt, done) == (end, True) if cut == end else (nxt in [*expected[0], end - 8] and not done)
        got = walk_blocks(data, start, [cut - start, len(data)])
        assert got == expected, cut


def test_walk_item_longer_than_the_block() -> None:
    data, start = walk_value([bytes(range(200)) * 5, b"\x01\x02"], False, 0)
    positions, lengths, heads, end = ref_walk(data, start)
    block = data[: positions[1] + 8 + 4]  # the item's header and first bytes, not its value
    p, n, h, nxt, done = fc._core._walk_items(block, 0, 0)
    assert p.tolist() == positions[:2] and n.tolist() == [0, 1000] and bytes(h[1]) == b"\x00\x01\x02\x03"
    assert nxt == positions[2] > len(block) and not done  # the caller skips the rest of the item
    p, n, h, nxt, done = fc._core._walk_items(data[nxt:], 0, nxt)
    assert p.tolist() == positions[2:] and nxt == end and done


def test_walk_partial_head_waits_for_the_next_block() -> None:
    data = item(b"") + item(b"\x01\x02\x03\x04\x05\x06") + item(b"\x07") + DELIMITER
    # Items at 0 (the empty BOT), 8 (6 bytes, to 22), 22 (1 byte, to 31); the delimiter at 31.
    for cut, expected in [(19, (1, 8)), (20, (2, 22)), (30, (2, 22)), (31, (3, 31))]:
        p, _, h, nxt, done = fc._core._walk_items(data[:cut], 0, 0)
        assert (len(p), nxt, done) == (*expected, False), cut
    p, n, h, nxt, done = fc._core._walk_items(data, 0, 0)
    assert n.tolist() == [0, 6, 1] and bytes(h[2]) == b"\x07\0\0\0" and (nxt, done) == (len(data), True)


def test_walk_delimiter_and_what_follows() -> None:
    data, start = walk_value([b"\x01\x02"], True, 0)
    end = ref_walk(data, start)[3]
    assert data[end:] == b"\xa5" * 16  # the junk after the delimiter is never read as items
    p, _, _, nxt, done = fc._core._walk_items(data, 0, 50)
    assert (len(p), nxt, done) == (2, end + 50, True)
    # A block that starts at the delimiter; one that holds only part of it stops before it.
    d = end - 8
    assert fc._core._walk_items(data, d, 0)[3:] == (end, True)
    assert fc._core._walk_items(data[: d + 7], d, 10)[3:] == (d + 10, False)


def test_walk_empty_block_and_bad_arguments() -> None:
    assert fc._core._walk_items(b"", 0, 123)[3:] == (123, False)
    assert fc._core._walk_items(item(b"ab"), 10, 0)[3:] == (10, False)
    with pytest.raises(fc.EncapsulationError, match="starts at offset 111, past the end of the block"):
        fc._core._walk_items(item(b"ab"), 11, 100)
    with pytest.raises(ValueError, match="offset must be >= 0"):
        fc._core._walk_items(item(b"ab"), -1, 0)
    with pytest.raises(ValueError, match="base must be >= 0"):
        fc._core._walk_items(item(b"ab"), 0, -1)
    with pytest.raises(TypeError):
        fc._core._walk_items("not bytes", 0, 0)


def test_walk_wrong_tag_and_undefined_length() -> None:
    good = item(b"") + item(b"\x01\x02")
    wrong = good + struct.pack("<2HI", 0x7FE0, 0x0010, 2) + b"\0\0"
    with pytest.raises(fc.EncapsulationError, match=r"unexpected tag \(7FE0,0010\) at offset 1018 "):
        fc._core._walk_items(wrong, 0, 1000)
    undefined = good + item(b"", 0xFFFFFFFF)
    with pytest.raises(fc.EncapsulationError, match="item at offset 18 has undefined length"):
        fc._core._walk_items(undefined, 0, 0)
    # Only whole headers are judged: a cut through the bad one stops before it, the next block raises.
    assert fc._core._walk_items(undefined[:-1], 0, 0)[3:] == (18, False)
    with pytest.raises(fc.EncapsulationError, match="at offset 18 "):
        fc._core._walk_items(undefined[18:], 0, 18)


def test_walk_offsets_near_two_to_the_64() -> None:
    # Python's base is at most 2**63 - 1; an item whose end passes 2**64 - 1 cannot be reached from it, but the
    # block's end can be close: the walk stays exact there.
    base = 2**63 - 1 - 40
    data = item(b"") + item(b"", 0xFFFFFFFE)[:8] + b"\x01\x02\x03\x04"
    p, n, _, nxt, done = fc._core._walk_items(data, 0, base)
    assert p.tolist() == [base, base + 8] and n.tolist() == [0, 0xFFFFFFFE]
    assert (nxt, done) == (base + 16 + 0xFFFFFFFE, False)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    sizes=st.lists(st.integers(1, 300), min_size=1, max_size=12),
    blocks=st.lists(st.integers(12, 700), min_size=1, max_size=6),
    has_bot=st.booleans(),
    prefix=st.integers(0, 40),
)
def test_walk_in_blocks_property(sizes: list[int], blocks: list[int], has_bot: bool, prefix: int) -> None:
    """Any fragment lengths, read in blocks of any sizes of at least one header and head: the items of one walk."""
    rng = np.random.default_rng(len(sizes))
    data, start = walk_value([rng.bytes(s) for s in sizes], has_bot, prefix)
    expected = ref_walk(data, start)
    assert len(expected[0]) == len(sizes) + 1
    assert walk_blocks(data, start, blocks) == expected
