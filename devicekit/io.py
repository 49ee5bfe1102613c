"""Safe output: files are written atomically, and an existing file is replaced only on request.

Nothing a user gave is lost: an output is first written to a temporary file in the same folder,
flushed to disk, then renamed over the target in one step, so a crash or a full disk leaves
either the old file or the new one, never half of one.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from devicekit.errors import InvalidInput

__all__ = ["write_bytes_atomic", "write_text_atomic"]


def write_bytes_atomic(path, data: bytes, *, force: bool = False) -> Path:
    """Write ``data`` to ``path`` atomically; refuse to replace an existing file unless
    ``force``."""
    path = Path(path)
    if path.exists() and not force:
        raise InvalidInput(f"{str(path)!r} exists; choose another name or replace it with --force")
    if path.is_dir():
        raise InvalidInput(f"{str(path)!r} is a folder; give a file name")
    if path.exists() and not path.is_file():
        # the rename below would put a regular file in place of a device, pipe or socket
        # (as root, /dev/null itself): such a target is never replaced
        raise InvalidInput(
            f"{str(path)!r} is not a regular file (a device, pipe or socket) and is never "
            "replaced; give a file name"
        )
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise InvalidInput(f"folder {str(folder)!r} does not exist; create it first")
    try:
        descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    except OSError as error:
        raise InvalidInput(f"cannot write in {str(folder)!r}: {error.strerror}") from None
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise InvalidInput(f"cannot write {str(path)!r}: {error.strerror}") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def write_text_atomic(path, text: str, *, force: bool = False) -> Path:
    return write_bytes_atomic(path, text.encode("utf-8"), force=force)
