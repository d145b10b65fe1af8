"""scan_fragments, frame_table and frame_bytes against pydicom.encaps, on generated values and bad input."""

from __future__ import annotations

import io
import mmap
import struct

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydicom.encaps import encapsulate as pd_encapsulate
from pydicom.encaps import encapsulate_extended as pd_encapsulate_extended
from pydicom.encaps import generate_frames, get_frame, parse_fragments

import framecodec as fc
from encaps_util import (
    DELIMITER,
    ITEM,
    fake_j2k,
    fake_jpeg,
    frame_items_bot,
    item,
    pydicom_fragments,
    split_even,
    value,
)

JPEG_BASELINE = "1.2.840.10008.1.2.4.50"
JPEG_LS = "1.2.840.10008.1.2.4.80"
J2K = "1.2.840.10008.1.2.4.90"
HTJ2K = "1.2.840.10008.1.2.4.201"
RLE = "1.2.840.10008.1.2.5"


def random_frames(n: int, lo: int, hi: int, seed: int = 0) -> list[bytes]:
    rng = np.random.default_rng(seed)
    return [rng.bytes(int(s)) for s in rng.integers(lo, hi + 1, n)]


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


def frames_of(buffer, table: fc.encaps.FrameTable) -> list[bytes]:
    return [bytes(fc.encaps.frame_bytes(buffer, table, i)) for i in range(len(table))]


def check_frames_against_pydicom(buffer: bytes, n: int, ext=None, ts=None, source=None) -> fc.encaps.FrameTable:
    """frame_table + frame_bytes agree with pydicom's generate_frames and get_frame."""
    kw = {} if ext is None else {"extended_offsets": ext}
    expected = list(generate_frames(buffer, number_of_frames=n, **kw))
    t = fc.encaps.frame_table(buffer, n, *(ext or (None, None)), transfer_syntax=ts)
    assert len(t) == n == len(expected)
    assert frames_of(buffer, t) == expected
    assert [bytes(f) for f in fc.encaps.iter_frames(buffer, t)] == expected
    for i in {0, n // 2, n - 1}:
        assert bytes(fc.encaps.frame_bytes(buffer, t, i)) == get_frame(buffer, i, number_of_frames=n, **kw)
    assert t.frame_lengths.tolist() == [len(f) for f in expected]
    if source:
        assert t.source == source
    return t


# ---------------------------------------------------------------- scan_fragments


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


# ---------------------------------------------------------------- frame_table against pydicom


def test_frames_basic_offset_table() -> None:
    frames = random_frames(40, 1, 200, seed=4)
    check_frames_against_pydicom(pd_encapsulate(frames), 40, source="basic")
    check_frames_against_pydicom(pd_encapsulate(frames) + DELIMITER, 40, source="basic")


def test_frames_basic_offset_table_several_fragments_per_frame() -> None:
    rng = np.random.default_rng(5)
    frames = [rng.bytes(int(n)) for n in rng.integers(40, 400, 12)]
    buf = pd_encapsulate(frames, fragments_per_frame=4)
    t = check_frames_against_pydicom(buf, 12, source="basic")
    assert np.diff(t.frame_fragments.astype(np.int64)).tolist() == [4] * 12
    assert not t.one_fragment_per_frame
    assert isinstance(fc.encaps.frame_bytes(buf, t, 0), bytes)
    # uneven numbers of fragments per frame
    frags = [[b"aa"], [b"bbbb", b"cc", b"dddddd"], [b"ee", b"f"], [b"gg"]]
    buf = value([f for fr in frags for f in fr], frame_items_bot(frags))
    t = check_frames_against_pydicom(buf, 4, source="basic")
    assert list(t.fragments(1)) == [1, 2, 3]
    assert t.frame_fragments.tolist() == [0, 1, 4, 6, 7]


def test_frames_extended_offset_table() -> None:
    frames = random_frames(30, 1, 150, seed=6)
    buf, eot, lengths = pd_encapsulate_extended(frames)
    t = check_frames_against_pydicom(buf, 30, ext=(eot, lengths), source="extended")
    assert t.one_fragment_per_frame
    # the tables as numpy arrays or lists give the same table
    eo, el = np.frombuffer(eot, "<u8"), np.frombuffer(lengths, "<u8")
    t2 = fc.encaps.frame_table(buf, 30, eo, el)
    t3 = fc.encaps.frame_table(buf, 30, eo.tolist(), el.tolist())
    assert t2.offsets.tolist() == t3.offsets.tolist() == t.offsets.tolist()
    # an EOT that gives a frame's unpadded length is honoured, as pydicom does
    short = el.copy()
    short[0] -= 1
    t4 = fc.encaps.frame_table(buf, 30, eo, short)
    assert bytes(fc.encaps.frame_bytes(buf, t4, 0)) == get_frame(buf, 0, extended_offsets=(eo.tolist(), short.tolist()))
    # the EOT wins over a (non-conformant) filled BOT, as in pydicom
    with_bot = pd_encapsulate(frames, has_bot=True)
    t5 = fc.encaps.frame_table(with_bot, 30, eo, el)
    assert t5.source == "extended"
    assert frames_of(with_bot, t5) == list(generate_frames(with_bot, extended_offsets=(eot, lengths)))


def test_frames_one_fragment_per_frame_and_single_frame() -> None:
    frames = random_frames(25, 1, 90, seed=7)
    check_frames_against_pydicom(pd_encapsulate(frames, has_bot=False), 25, source="one_per_frame")
    check_frames_against_pydicom(pd_encapsulate(frames, has_bot=False), 25, ts=RLE, source="one_per_frame")
    # one frame of many fragments, with and without a BOT
    check_frames_against_pydicom(value(frames), 1, source="single_frame")
    check_frames_against_pydicom(pd_encapsulate([b"x" * 1001], fragments_per_frame=5), 1, source="basic")
    check_frames_against_pydicom(value([b"only"]), 1, source="one_per_frame")


@pytest.mark.parametrize("kind", ["jpeg", "j2k"])
@pytest.mark.parametrize("with_ts", [True, False])
def test_frames_from_codestream_markers(kind: str, with_ts: bool) -> None:
    rng = np.random.default_rng(8)
    make = fake_jpeg if kind == "jpeg" else fake_j2k
    frames = [make(rng, int(n)) for n in rng.integers(50, 600, 15)]
    frames = [f + b"\x00" * (len(f) % 2) for f in frames]
    fragments = []
    for f in frames:
        fragments += split_even(f, [int(s) * 2 for s in rng.integers(10, 100, int(rng.integers(0, 4)))])
    buf = value(fragments)
    assert len(fragments) > 15
    ts = (JPEG_BASELINE if kind == "jpeg" else J2K) if with_ts else None
    t = check_frames_against_pydicom(buf, 15, ts=ts, source="markers")
    assert frames_of(buf, t) == frames


def test_transfer_syntax_selects_the_marker() -> None:
    rng = np.random.default_rng(9)
    frames = [fake_j2k(rng, 100), fake_j2k(rng, 100)]
    buf = value([frames[0][:50], frames[0][50:], frames[1][:50], frames[1][50:]])
    assert fc.encaps.frame_table(buf, 2, transfer_syntax=HTJ2K).source == "markers"
    with pytest.raises(fc.EncapsulationError, match=r"frame 0: .*SOI"):
        fc.encaps.frame_table(buf, 2, transfer_syntax=JPEG_LS)
    with pytest.raises(fc.EncapsulationError, match="no start marker"):
        fc.encaps.frame_table(buf, 2, transfer_syntax=RLE)
    garbage = value([b"ab", b"cd", b"ef"])
    with pytest.raises(fc.EncapsulationError, match="pass transfer_syntax"):
        fc.encaps.frame_table(garbage, 2)


# ---------------------------------------------------------------- disagreements


def bot_value(frags_per_frame: list[list[bytes]], bot: list[int]) -> bytes:
    return value([f for fr in frags_per_frame for f in fr], bot)


FRAMES3 = [[b"aaaa"], [b"bb", b"cccc"], [b"dddddd"]]  # item starts at 0, 12, 22, 34


@pytest.mark.parametrize(
    ("bot", "pattern"),
    [
        ([0, 12], "Basic Offset Table has 2 entries but there are 3 frames"),
        ([0, 12, 22, 34], "Basic Offset Table has 4 entries"),
        ([0, 13, 34], r"frame 1: .*offset 13 .*does not land on an item tag"),
        ([0, 22, 12], r"frame 2: .*offset 12 does not increase"),
        ([0, 12, 12], r"frame 2: .*does not increase"),
        ([12, 22, 34], r"frame 0: .*offset is 12, not 0"),
        ([0, 12, 48], r"frame 2: .*offset 48 \(byte 68\) is past the last fragment"),
        ([0, 12, 4000], r"frame 2: .*past the end"),
        ([0, 12, 36], r"frame 2: .*does not land on an item tag"),
    ],
)
def test_basic_offset_table_disagreements(bot: list[int], pattern: str) -> None:
    buf = bot_value(FRAMES3, bot)
    with pytest.raises(fc.EncapsulationError, match=pattern):
        fc.encaps.frame_table(buf, 3)


def test_consistent_basic_offset_table_reference() -> None:
    buf = bot_value(FRAMES3, frame_items_bot(FRAMES3))
    assert frame_items_bot(FRAMES3) == [0, 12, 34]
    t = check_frames_against_pydicom(buf, 3, source="basic")
    assert frames_of(buf, t) == [b"aaaa", b"bbcccc", b"dddddd"]


def test_extended_offset_table_disagreements() -> None:
    frames = [b"aaaa", b"bbbbbb", b"cc"]
    buf, eot, lengths = pd_encapsulate_extended(frames)
    eo = np.frombuffer(eot, "<u8").copy()
    el = np.frombuffer(lengths, "<u8").copy()
    assert eo.tolist() == [0, 12, 26]

    def expect(offsets, lens, pattern, data=buf, n=3):
        with pytest.raises(fc.EncapsulationError, match=pattern):
            fc.encaps.frame_table(data, n, offsets, lens)

    expect(eo[:2], el[:2], "Extended Offset Table has 2 entries but there are 3 frames")
    expect(eo, el[:2], "2 entries")
    expect([0, 13, 26], el, r"frame 1: the Extended Offset Table length 6 at offset 13 runs past the next frame's item")
    expect([0, 13, 26], [4, 5, 2], r"frame 1: .*\(byte 21\) does not land on an item tag: the item before it runs to byte 34")
    expect([0, 26, 12], el, r"frame 2: .*does not increase")
    expect([4, 12, 26], el, r"frame 0: .*not 0")
    expect([0, 12, 260], el, r"frame 2: .*past the end")
    expect(eo, [4, 7, 2], r"frame 1: the Extended Offset Table length 7 at offset 12 runs past the next frame's item")
    expect(eo, [4, 6, 3], r"frame 2: the Extended Offset Table length 3 at offset 26 runs past the end of the data")
    # a frame of two fragments, and a fragment after the last frame
    two = value([b"aaaa", b"bb", b"cc", b"dd"])
    expect([0, 22, 32], [4, 2, 2], r"frame 0: spans more than one fragment \(the second at byte 20\)", data=two)
    expect([0, 12], [4, 2], r"frame 1: spans more than one fragment \(the second at byte 30\)", data=two, n=2)
    with pytest.raises(ValueError, match="together"):
        fc.encaps.frame_table(buf, 3, eo, None)
    assert fc.encaps.frame_table(buf, 3, b"", b"").source == "one_per_frame"  # empty tables: no table
    with pytest.raises(TypeError, match="transfer_syntax"):
        fc.encaps.frame_table(buf, 3, transfer_syntax=b"1.2")  # type: ignore[arg-type]
    with pytest.raises(fc.EncapsulationError, match="multiple of 8"):
        fc.encaps.frame_table(buf, 3, eot[:-1], lengths)
    with pytest.raises(ValueError, match="negative"):
        fc.encaps.frame_table(buf, 3, [0, -12, 26], el)


def test_extended_offset_table_middle_frames_checked_when_read() -> None:
    # Only the EOT itself and its first and last frames are checked by frame_table (a memory-mapped slide
    # must open without reading every frame); the others are checked by frame_bytes and iter_frames.
    frames = [b"aaaa", b"bbbbbb", b"cccc", b"dd"]
    buf, eot, lengths = pd_encapsulate_extended(frames)
    eo = np.frombuffer(eot, "<u8").copy()
    el = np.frombuffer(lengths, "<u8").copy()
    assert eo.tolist() == [0, 12, 26, 38]
    bad = bytearray(buf)  # one buffer each: a table belongs to the buffer it was made from
    bad[20:24] = b"\xfe\xff\x00\xe1"  # frame 1's item tag (8-byte BOT item + frame 0's item) is now (FFFE,E100)
    t = fc.encaps.frame_table(bad, 4, eo, el)
    assert bytes(fc.encaps.frame_bytes(bad, t, 0)) == b"aaaa" and bytes(fc.encaps.frame_bytes(bad, t, 3)) == b"dd"
    with pytest.raises(fc.EncapsulationError, match=r"frame 1: the Extended Offset Table offset \(byte 20\) does not land on an item tag"):
        fc.encaps.frame_bytes(bad, t, 1)
    with pytest.raises(fc.EncapsulationError, match="frame 1:"):
        list(fc.encaps.iter_frames(bad, t))
    # a middle frame whose EOT length exceeds its item, and a middle item that is longer than the gap
    bad = bytearray(buf)
    bad[24:28] = (4).to_bytes(4, "little")  # frame 1's item claims 4 bytes, the EOT 6
    t = fc.encaps.frame_table(bad, 4, eo, el)
    with pytest.raises(fc.EncapsulationError, match=r"frame 1: the Extended Offset Table length 6 exceeds its fragment's length 4"):
        fc.encaps.frame_bytes(bad, t, 1)
    bad = bytearray(buf)
    bad[8 + 12 + 4 : 8 + 12 + 8] = (8).to_bytes(4, "little")  # frame 1's item claims 8 bytes, not 6
    t = fc.encaps.frame_table(bad, 4, eo, el)
    with pytest.raises(fc.EncapsulationError, match=r"frame 2: .*does not land on an item tag: the item before it runs to byte 36"):
        fc.encaps.frame_bytes(bad, t, 1)


def test_too_few_fragments_and_marker_counts() -> None:
    with pytest.raises(fc.EncapsulationError, match=r"too few fragments: 3 frames but only 2 .*frame 2"):
        fc.encaps.frame_table(value([b"ab", b"cd"]), 3)
    with pytest.raises(fc.EncapsulationError, match=r"too few fragments: 1 frames but only 0"):
        fc.encaps.frame_table(value([]), 1)
    rng = np.random.default_rng(10)
    jpegs = [fake_jpeg(rng, 40) for _ in range(3)]
    frags = [jpegs[0][:20], jpegs[0][20:], jpegs[1][:20], jpegs[1][20:], jpegs[2]]
    with pytest.raises(fc.EncapsulationError, match=r"found more than 2 frames: fragment 4"):
        fc.encaps.frame_table(value(frags), 2)
    with pytest.raises(fc.EncapsulationError, match=r"frame 3: not found: only 3 of 5 fragments"):
        fc.encaps.frame_table(value(frags), 4)
    with pytest.raises(fc.EncapsulationError, match=r"frame 0: the first fragment \(at byte 16\) does not begin"):
        fc.encaps.frame_table(value([b"xx"] + frags), 3, transfer_syntax=JPEG_BASELINE)


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


# ---------------------------------------------------------------- malformed items


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


# ---------------------------------------------------------------- hypothesis


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
    parts = [item(struct.pack(f"<{k}I", *draw(st.lists(st.integers(0, 300), min_size=k, max_size=k))))
             for k in [draw(st.sampled_from([0, 0, 0, 1, 2, 3]))]]
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


# ---------------------------------------------------------------- _walk_items: the item walk of a value read in blocks


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
