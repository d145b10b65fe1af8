"""scan_fragments and frame_table on bad input: bad arguments, malformed items, every truncation and bit flip,
random and structured garbage; they raise where pydicom.encaps raises and never crash."""

from __future__ import annotations

import io
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydicom.encaps import encapsulate as pd_encapsulate
from pydicom.encaps import encapsulate_extended as pd_encapsulate_extended
from pydicom.encaps import generate_frames, parse_fragments

import framecodec as fc
from encaps_scan_util import J2K, JPEG_BASELINE, RLE, frames_of
from encaps_util import (
    DELIMITER,
    ITEM,
    item,
    pydicom_fragments,
    value,
)


def test_bad_arguments() -> None:
    buf = value([b"ab"])
    with pytest.raises(ValueError, match="at least 1"):
        fc.encaps.frame_table(buf, 0)
    with pytest.raises(ValueError, match="past the end of the buffer"):
        fc.encaps.scan_fragments(buf, len(buf) + 1)
    with pytest.raises(ValueError, match=">= 0"):
        fc.encaps.scan_fragments(buf, -1)
    with pytest.raises(TypeError, match="bytes-like"):
        fc.encaps.scan_fragments("text")  # type: ignore[arg-type]
    t = fc.encaps.frame_table(buf, 1)
    with pytest.raises(IndexError):
        fc.encaps.frame_bytes(buf, t, 1)
    assert bytes(fc.encaps.frame_bytes(buf, t, -1)) == b"ab"
    with pytest.raises(ValueError, match="the buffer the table was made from"):
        fc.encaps.frame_bytes(buf[:-2], t, 0)


@pytest.mark.parametrize(
    ("buf", "pattern"),
    [
        (b"", r"Basic Offset Table item header at offset 0 needs 8 bytes, 0 remain"),
        (ITEM + b"\x04\x00", "needs 8 bytes"),
        (b"\xfe\xff\xdd\xe0\x00\x00\x00\x00", r"expected the Basic Offset Table item tag \(FFFE,E000\) at offset 0"),
        (b"\x08\x00\x10\x00\x00\x00\x00\x00", r"found \(0008,0010\)"),
        (ITEM + b"\x06\x00\x00\x00" + b"\x00" * 6, "not a multiple of 4"),
        (ITEM + b"\xff\xff\xff\xff", "Basic Offset Table item at offset 0 has undefined length"),
        (ITEM + b"\x08\x00\x00\x00\x00\x00\x00\x00", "has length 8 but only 4 bytes follow"),
        (item(b"") + ITEM + b"\xff\xff\xff\xff", "fragment item at offset 8 has undefined length"),
        (item(b"") + item(b"ab") + ITEM + b"\x10\x00\x00\x00abc", r"offset 18 has length 16 but only 3 bytes"),
        (item(b"") + item(b"ab") + b"\xfe\xff", r"item header at offset 18 needs 8 bytes, 2 remain"),
        (item(b"") + b"\xfe\xff\x0d\xe0\x00\x00\x00\x00", r"unexpected tag \(FFFE,E00D\) at offset 8"),
        (item(b"") + item(b"ab") + b"\xe0\x7f\x10\x00OB\x00\x00", r"unexpected tag \(7FE0,0010\) at offset 18"),
    ],
)
def test_malformed_items(buf: bytes, pattern: str) -> None:
    with pytest.raises(fc.EncapsulationError, match=pattern):
        fc.encaps.scan_fragments(buf)
    with pytest.raises(fc.EncapsulationError):
        fc.encaps.frame_table(buf, 1)


def test_pydicom_raises_where_we_raise() -> None:
    """Where pydicom's parser refuses the data, so do we (the reverse does not hold: pydicom accepts a
    fragment that runs past the end of the data, or a partial tag at the end; we call those truncated)."""
    for bad in (item(b"") + ITEM + b"\xff\xff\xff\xff", item(b"") + b"\x08\x00\x10\x00abcd"):
        with pytest.raises(ValueError):
            parse_fragments(bad[8:])
        with pytest.raises(fc.EncapsulationError):
            fc.encaps.scan_fragments(bad)


def valid_value() -> bytes:
    return pd_encapsulate([b"\xff\xd8abcdefg\xff\xd9", b"\xff\xd8hij\xff\xd9", b"klmnopqrstu"]) + DELIMITER


def test_every_truncation() -> None:
    buf = valid_value()
    ends = {len(buf) - 8}  # after the last fragment: a value without delimiter
    t_full = fc.encaps.scan_fragments(buf)
    ends |= {int(o + n) for o, n in zip(t_full.offsets, t_full.lengths)}
    for cut in range(len(buf)):
        part = buf[:cut]
        try:
            t = fc.encaps.scan_fragments(part)
        except fc.EncapsulationError:
            assert cut not in ends or cut < 8 + 12
            continue
        assert cut in ends or cut == 8 + 12  # right after the BOT: no fragments yet
        assert not t.has_delimiter and t.end == cut
        _, offsets, frags = pydicom_fragments(part)
        assert (t.offsets - 8).tolist() == offsets
        for n in (1, 2, 3):
            try:
                table = fc.encaps.frame_table(part, n)
            except fc.EncapsulationError:
                continue
            assert frames_of(part, table) == list(generate_frames(part, number_of_frames=n))[:n]


def test_every_bit_flip() -> None:
    """Any single flipped bit gives EncapsulationError or a table whose frames lie inside the buffer."""
    buf = valid_value()
    ext = pd_encapsulate_extended([b"\xff\xd8abcdefg\xff\xd9", b"\xff\xd8hij\xff\xd9", b"klmnopqrstu"])
    for base, eot in ((buf, None), (ext[0] + DELIMITER, ext[1:])):
        for pos in range(len(base)):
            for bit in range(8):
                b = bytearray(base)
                b[pos] ^= 1 << bit
                for n in (1, 3):
                    try:
                        t = fc.encaps.frame_table(b, n, *(eot or (None, None)))
                    except fc.EncapsulationError:
                        continue
                    assert int((t.offsets + t.lengths).max(initial=0)) <= len(b)
                    try:
                        frames_of(b, t)
                    except fc.EncapsulationError:  # an Extended Offset Table's middle frames are checked when read
                        assert eot is not None and t.source == "extended"


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=200), n=st.integers(1, 4))
def test_garbage_never_crashes(data: bytes, n: int) -> None:
    for buf in (data, ITEM + data, item(b"") + data):
        try:
            t = fc.encaps.scan_fragments(buf)
        except fc.EncapsulationError:
            pass
        else:
            _, offsets, frags = pydicom_fragments(buf)  # pydicom accepts whatever we accept ...
            assert (t.offsets - 8).tolist() == offsets  # ... and finds the same fragments
            assert [buf[o : o + k] for o, k in zip(t.offsets.tolist(), t.lengths.tolist())] == frags
        try:
            table = fc.encaps.frame_table(buf, n)
        except fc.EncapsulationError:
            continue
        assert len(frames_of(buf, table)) == n


tag_st = st.sampled_from([0xFFFEE000, 0xFFFEE000, 0xFFFEE000, 0xFFFEE0DD, 0xFFFEE00D, 0x7FE00010])


@st.composite
def item_sequences(draw):
    """Mostly well-formed item sequences with occasional wrong tags, lengths and truncation."""
    parts = [
        item(struct.pack(f"<{k}I", *draw(st.lists(st.integers(0, 300), min_size=k, max_size=k))))
        for k in [draw(st.sampled_from([0, 0, 0, 1, 2, 3]))]
    ]
    for _ in range(draw(st.integers(0, 6))):
        tag = draw(tag_st)
        body = draw(st.binary(max_size=24))
        length = draw(st.one_of(st.just(len(body)), st.integers(0, 40), st.just(0xFFFFFFFF)))
        parts.append(struct.pack("<HHI", tag >> 16, tag & 0xFFFF, length) + body)
    buf = b"".join(parts)
    cut = draw(st.integers(0, len(buf)))
    return buf[: cut if draw(st.booleans()) else len(buf)]


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(buf=item_sequences(), n=st.integers(1, 4), ts=st.sampled_from([None, JPEG_BASELINE, J2K, RLE]))
def test_structured_garbage(buf: bytes, n: int, ts) -> None:
    try:
        t = fc.encaps.scan_fragments(buf)
    except fc.EncapsulationError:
        t = None
    if t is not None:
        bot, offsets, frags = pydicom_fragments(buf)
        assert t.basic_offsets.tolist() == bot and (t.offsets - 8).tolist() == offsets
    for eot in (None, (list(range(0, 40 * n, 40)), [4] * n)):
        try:
            table = fc.encaps.frame_table(buf, n, *(eot or (None, None)), transfer_syntax=ts)
        except fc.EncapsulationError:
            continue
        assert t is not None  # a frame table needs a scannable value
        got = frames_of(buf, table)
        if eot is None and table.source != "markers":  # pydicom guesses marker frames differently
            assert got == list(generate_frames(io.BytesIO(buf), number_of_frames=n))
