"""An exception as one line for a user (the command line's reports, ``transcode_files``' rows)."""

from __future__ import annotations


def describe(error: BaseException) -> str:
    """The message of the errors framecodec and pydicom raise for bad files; the error's name too for anything
    less expected. An ``OSError`` gives its reason (the report names the file)."""
    if isinstance(error, OSError) and error.strerror:
        return error.strerror if not error.filename2 else f"{error.strerror}: {error.filename2}"
    text = " ".join(str(error).split()) or type(error).__name__
    if isinstance(error, (ValueError, OSError, IndexError)):
        return text
    if type(error).__module__.startswith("pydicom"):  # InvalidDicomError, ...: their message says it
        return text
    return f"{type(error).__name__}: {text}"
