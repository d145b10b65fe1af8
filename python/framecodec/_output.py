"""Output files that appear whole or not at all: a temporary file beside the output, synced and renamed into
place (``FrameWriter``, ``transcode`` and the command line share it)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

#: The temporary files' suffix: ``.{name}.{random}.framecodec-tmp`` in the output's folder.
SUFFIX = ".framecodec-tmp"


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Whether two paths name one existing file (hard links and symbolic links included)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def check_outputs(pairs: list[tuple[str, Path]]) -> None:
    """``ValueError`` when an output is its input (through a link too) or two inputs would go to one output."""
    seen: dict[str, str] = {}
    for src, dst in pairs:
        if same_file(src, dst):
            raise ValueError(f"{src}: the output {dst} is the input itself (transcode never overwrites its input)")
        key = os.path.normcase(os.path.abspath(dst))
        if key in seen:
            raise ValueError(f"{seen[key]} and {src} would both be written to {dst}")
        seen[key] = src


def temporary_beside(out: Path) -> Path:
    """A new empty temporary file in ``out``'s folder (the rename into place is then one step on one file
    system). ``OSError`` naming ``out`` when it cannot be made."""
    try:
        fd, name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=SUFFIX)
    except OSError as e:  # say which file could not be written, not the temporary name
        raise OSError(e.errno, f"cannot write {out}: {e.strerror}") from None
    os.close(fd)
    return Path(name)


def publish(tmp: Path, out: Path) -> None:
    """Sync ``tmp`` to disk, give it the permissions a new file gets and rename it to ``out`` (an existing
    ``out`` is replaced in one step), then make the rename durable."""
    with open(tmp, "rb+") as f:
        os.fsync(f.fileno())
    os.chmod(tmp, 0o666 & ~_umask())
    os.replace(tmp, out)
    _sync_folder(out.parent)


def discard(tmp: Path) -> None:
    with suppress(OSError):
        tmp.unlink()


@contextmanager
def atomic_output(out: Path) -> Iterator[Path]:
    """A temporary file in ``out``'s folder to write; when the block ends normally it is published to ``out``.
    On any error, KeyboardInterrupt included, it is removed: ``out`` is never half-written."""
    tmp = temporary_beside(out)
    try:
        yield tmp
        publish(tmp, out)
    except BaseException:
        discard(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _sync_folder(folder: Path) -> None:
    """Make a rename durable (POSIX; elsewhere a folder cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
