"""frame_table and frame_bytes against pydicom.encaps: frames by the Basic and Extended Offset Tables, by
fragment counts and by codestream markers, and offset tables that disagree with the fragments."""

from __future__ import annotations

import numpy as np
import pytest
from pydicom.encaps import encapsulate as pd_encapsulate
from pydicom.encaps import encapsulate_extended as pd_encapsulate_extended
from pydicom.encaps import generate_frames, get_frame

import framecodec as fc
from encaps_scan_util import J2K, JPEG_BASELINE, RLE, frames_of, random_frames
from encaps_util import (
    DELIMITER,
    fake_j2k,
    fake_jpeg,
    frame_items_bot,
    split_even,
    value,
)

JPEG_LS = "1.2.840.10008.1.2.4.80"
HTJ2K = "1.2.840.10008.1.2.4.201"


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
    expect(
        [0, 13, 26],
        [4, 5, 2],
        r"frame 1: .*\(byte 21\) does not land on an item tag: the item before it runs to byte 34",
    )
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
    with pytest.raises(
        fc.EncapsulationError,
        match=r"frame 1: the Extended Offset Table offset \(byte 20\) does not land on an item tag",
    ):
        fc.encaps.frame_bytes(bad, t, 1)
    with pytest.raises(fc.EncapsulationError, match="frame 1:"):
        list(fc.encaps.iter_frames(bad, t))
    # a middle frame whose EOT length exceeds its item, and a middle item that is longer than the gap
    bad = bytearray(buf)
    bad[24:28] = (4).to_bytes(4, "little")  # frame 1's item claims 4 bytes, the EOT 6
    t = fc.encaps.frame_table(bad, 4, eo, el)
    with pytest.raises(
        fc.EncapsulationError, match=r"frame 1: the Extended Offset Table length 6 exceeds its fragment's length 4"
    ):
        fc.encaps.frame_bytes(bad, t, 1)
    bad = bytearray(buf)
    bad[8 + 12 + 4 : 8 + 12 + 8] = (8).to_bytes(4, "little")  # frame 1's item claims 8 bytes, not 6
    t = fc.encaps.frame_table(bad, 4, eo, el)
    with pytest.raises(
        fc.EncapsulationError, match=r"frame 2: .*does not land on an item tag: the item before it runs to byte 36"
    ):
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
