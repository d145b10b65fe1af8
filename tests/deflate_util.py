"""Helpers shared by the raw deflate tests (tests/test_deflate_*.py): Python's zlib as the reference, a
stream to break, the outcome of a call."""

from __future__ import annotations

import zlib
from typing import Any

import framecodec as fc
from conftest import make_bytes

HAVE_LIBDEFLATE = fc.codecs.libdeflate_version is not None


def zlib_raw(data: bytes, level: int = 6) -> bytes:
    return zlib.compress(data, level, wbits=-15)  # one-shot, like ours: deflate(Z_FINISH) until done


def outcome(call: Any) -> tuple[str, Any]:
    """("ok", bytes) or (exception class name, message): what a decoder made of its input."""
    try:
        return "ok", bytes(call())
    except Exception as e:
        return type(e).__name__, str(e)


DATA = make_bytes("ramp", 20_000, 7)
STREAM = zlib_raw(DATA)
