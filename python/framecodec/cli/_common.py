"""What the commands share: per-file error reports, the progress bar, ``--frames`` specs, ``--threads``,
and output files that appear whole or not at all."""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import IO, Any, TypeVar, cast

from .._errors import describe
from .._output import atomic_output, same_file

tqdm: Any
try:  # progress bars are drawn by tqdm when it is installed (pip install 'framecodec[progress]')
    from tqdm import tqdm
except ImportError:  # tested with tqdm hidden (tests/test_cli_progress.py)
    tqdm = None

__all__ = ["atomic_output", "describe", "same_file"]

#: A frame selection as ``FrameReader.read`` and ``pixel_array`` take it.
FrameSpec = int | slice | list[int] | None


class UsageError(Exception):
    """A command line that cannot be carried out as given (exit 2, as argparse's own errors)."""


def report(path: str | os.PathLike[str], error: BaseException) -> None:
    """``framecodec: FILE: message`` on stderr."""
    _write(f"framecodec: {os.fspath(path)}: {describe(error)}")


def warn(path: str | os.PathLike[str], message: str) -> None:
    """``framecodec: FILE: warning: message`` on stderr (pydicom's warnings about a file, once each)."""
    _write(f"framecodec: {os.fspath(path)}: warning: {message}")


def _write(line: str) -> None:
    if tqdm is not None:
        tqdm.write(line, file=sys.stderr)  # above a progress bar
    else:
        print(line, file=sys.stderr)


# --- arguments -----------------------------------------------------------------------------------------


def threads_arg(text: str) -> int:
    """``--threads``: a positive integer."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def storage_option_arg(text: str) -> tuple[str, Any]:
    """``--storage-option KEY=VALUE``: one option of a URL's fsspec filesystem; the value is JSON when it parses as
    JSON (``anon=true``, ``client_kwargs={"endpoint_url": "..."}``), else the text."""
    import json

    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        return key, json.loads(value)
    except ValueError:
        return key, value


def add_storage_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "-S",
        "--storage-option",
        dest="storage_options",
        action="append",
        type=storage_option_arg,
        default=[],
        metavar="KEY=VALUE",
        help="an option of a URL's filesystem (fsspec), e.g. anon=true; repeatable",
    )


def storage_options(args: argparse.Namespace) -> dict[str, Any] | None:
    return dict(args.storage_options) or None


def frames_arg(text: str) -> FrameSpec:
    """``--frames``: ``a:b``, ``a:b:c`` (Python slices, any part may be left out), ``i,j,k`` or ``i``; 0-based,
    negative numbers count from the end."""
    text = text.strip()
    try:
        if ":" in text:
            parts = text.split(":")
            if len(parts) > 3:
                raise ValueError
            start, stop, step = ([_int_or_none(p) for p in parts] + [None])[:3]
            if step == 0:
                raise argparse.ArgumentTypeError("the step of a slice must not be 0")
            return slice(start, stop, step)
        if "," in text:
            return [int(p) for p in text.split(",")]  # int() refuses an empty item
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a frame selection: use a:b, a:b:c, i,j,k or i (0-based)"
        ) from None


def _int_or_none(part: str) -> int | None:
    return int(part) if part.strip() else None


def level_arg(text: str) -> int:
    """``--level``: a deflate level, -1 (the default, 6) or 0-12; zlib's stop at 9 (checked with ``--backend``)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if not -1 <= value <= 12:
        raise argparse.ArgumentTypeError(f"must be -1 (the default) or 0-9 (zlib), 0-12 (libdeflate), got {value}")
    return value


# --- progress ------------------------------------------------------------------------------------------


def shows_progress(quiet: bool, stream: IO[str] | None = None) -> bool:
    """Progress bars are drawn on a terminal only, and never with ``--quiet``."""
    stream = sys.stderr if stream is None else stream
    if quiet:
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


class Progress:
    """A tqdm bar on stderr counting frames, with the throughput in MB/s of decoded pixels and what is being
    done now.

    It appears only after a second of work (tqdm's ``delay``), and not at all when stderr is not a terminal
    or with ``--quiet`` (then every call is a no-op). Once shown, it is redrawn twice a second from a thread
    of its own, so the time keeps moving while a long step (one C++ call encoding a whole file) runs.
    """

    def __init__(
        self,
        total: int,
        desc: str,
        *,
        quiet: bool,
        stream: IO[str] | None = None,
        delay: float = 1.0,
        unit: str = "frame",
    ) -> None:
        stream = sys.stderr if stream is None else stream
        shown = shows_progress(quiet, stream) and tqdm is not None
        self.bar: Any = (tqdm if tqdm is not None else _NoBar)(
            total=total,
            desc=desc,
            unit=unit,
            file=stream,
            disable=not shown,
            delay=delay,
            dynamic_ncols=True,
            leave=True,
        )
        self.done = 0  # frames
        self.nbytes = 0
        self.stage = ""
        self.delay = delay
        self._start = time.perf_counter()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        if self.enabled:
            self._ticker = threading.Thread(target=self._tick, name="framecodec-progress", daemon=True)
            self._ticker.start()

    @property
    def enabled(self) -> bool:
        return not self.bar.disable

    def advance(self, frames: int, nbytes: int) -> None:
        """``frames`` more frames done, ``nbytes`` bytes of decoded pixels."""
        self.done += frames
        self.nbytes += nbytes
        if self.enabled:
            self.bar.set_postfix_str(self._postfix(), refresh=False)
        self.bar.update(frames)

    def set_stage(self, desc: str, stage: str = "") -> None:
        """What is being done now: the file's name and the step (``decode 64/200``, ``encode``, ``verify``)."""
        self.stage = stage
        if self.enabled:
            self.bar.set_description_str(desc, refresh=False)
            self.bar.set_postfix_str(self._postfix(), refresh=self._due())

    def _due(self) -> bool:
        return time.perf_counter() - self._start >= self.delay

    def _tick(self) -> None:
        while not self._stop.wait(0.5):
            if self._due():
                self.bar.set_postfix_str(self._postfix(), refresh=False)
                self.bar.refresh()

    def _postfix(self) -> str:
        elapsed = max(time.perf_counter() - self._start, 1e-9)
        parts = [f"{self.nbytes / elapsed / 1e6:,.0f} MB/s"] if self.nbytes else []
        return ", ".join(parts + ([self.stage] if self.stage else []))

    def close(self) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        self.bar.close()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _NoBar:
    """What Progress needs of tqdm when tqdm is not installed: nothing is drawn."""

    disable = True

    def __init__(self, **_: Any) -> None:
        pass

    def update(self, n: int) -> None:
        pass

    def set_postfix_str(self, text: str, refresh: bool = True) -> None:
        pass

    def set_description_str(self, text: str, refresh: bool = True) -> None:
        pass

    def refresh(self) -> None:
        pass

    def close(self) -> None:
        pass


# --- long C++ calls ------------------------------------------------------------------------------------

T = TypeVar("T")
_abandoned = threading.Event()


def work_abandoned() -> bool:
    """Whether an interrupted :func:`interruptible` call is still running on its thread. The process must then
    leave with ``os._exit``: Python's shutdown would stop that thread inside C++ code, which aborts."""
    return _abandoned.is_set()


def interruptible(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)`` on a daemon thread, the main thread waiting for it: Ctrl-C (or SIGTERM) is acted
    on at once instead of when a long C++ call (which releases the GIL) returns. The abandoned call finishes or
    dies with the process; its arrays stay alive as long as it runs."""
    outcome: list[Any] = []
    finished = threading.Event()  # not Thread.is_alive: after an interrupted join() it can claim the thread ended

    def work() -> None:
        try:
            outcome.append((True, fn(*args, **kwargs)))
        except BaseException as e:
            outcome.append((False, e))
        finally:
            finished.set()

    threading.Thread(target=work, name="framecodec-work", daemon=True).start()
    try:
        while not finished.wait(0.2):  # a signal interrupts the wait: KeyboardInterrupt is raised here
            pass
    except BaseException:
        if not finished.is_set():
            _abandoned.set()
        raise
    ok, value = outcome[0]
    if not ok:
        raise value
    return cast(T, value)
