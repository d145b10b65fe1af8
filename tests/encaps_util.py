"""Builders for encapsulated Pixel Data test values, written independently of framecodec (PS3.5 A.4, 7.5)."""

from __future__ import annotations

import io
import struct
from collections.abc import Sequence

import numpy as np

ITEM = b"\xfe\xff\x00\xe0"
DELIMITER = b"\xfe\xff\xdd\xe0\x00\x00\x00\x00"


def item(data: bytes, length: int | None = None) -> bytes:
    """An item with `data` as its value, unpadded (odd lengths stay odd); `length` overrides the header."""
    return ITEM + struct.pack("<I", len(data) if length is None else length) + data


def value(fragments: Sequence[bytes], bot: Sequence[int] | None = None, delimiter: bool = True) -> bytes:
    """BOT item (filled when `bot` is given), fragment items, optional sequence delimiter."""
    table = b"" if bot is None else struct.pack(f"<{len(bot)}I", *bot)
    return item(table) + b"".join(item(f) for f in fragments) + (DELIMITER if delimiter else b"")


def frame_items_bot(frames_fragments: Sequence[Sequence[bytes]]) -> list[int]:
    """The BOT of frames made of these fragments (item tag offsets from the first item after the BOT)."""
    offsets, pos = [], 0
    for frags in frames_fragments:
        offsets.append(pos)
        pos += sum(8 + len(f) for f in frags)
    return offsets


def fake_jpeg(rng: np.random.Generator, size: int) -> bytes:
    """SOI, bytes without 0xFF, EOI: what the codestream scan and pydicom's EOI search both recognise."""
    body = rng.integers(0, 255, size, dtype=np.uint8).tobytes()  # 0..254: no marker inside
    return b"\xff\xd8" + body + b"\xff\xd9"


def fake_j2k(rng: np.random.Generator, size: int) -> bytes:
    body = rng.integers(0, 255, size, dtype=np.uint8).tobytes()
    return b"\xff\x4f\xff\x51" + body + b"\xff\xd9"


def split_even(data: bytes, sizes: Sequence[int]) -> list[bytes]:
    """Cut `data` into fragments of the given sizes, the rest in a last one."""
    out, pos = [], 0
    for s in sizes:
        out.append(data[pos : pos + s])
        pos += s
    if pos < len(data):
        out.append(data[pos:])
    return out


def pydicom_fragments(buffer: bytes) -> tuple[list[int], list[int], list[bytes]]:
    """pydicom's view of a value: BOT, absolute item tag offsets of the fragments, and their bytes."""
    from pydicom.encaps import generate_fragments, parse_basic_offsets, parse_fragments

    bio = io.BytesIO(buffer)
    bot = parse_basic_offsets(bio)
    _, offsets = parse_fragments(bio)
    frags = list(generate_fragments(bio))
    return bot, offsets, frags
