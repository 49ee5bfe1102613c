"""Safe output: nothing a user gave is lost or overwritten.

* An output is written to a temporary file in the target's folder, flushed to disk, then renamed
  over the target in one step, so a crash or a full disk leaves the old file or the new one,
  never half of one.
* An existing file is replaced only with ``force`` (``--force``), and never when it is one of the
  command's inputs (the data file, its metadata, the model card), compared by identity
  (:func:`os.path.samefile`), whatever path names it.
* A device, pipe, socket or folder is never replaced, nor is a symlink that points to one; a
  symlink to a regular file keeps pointing at it and the file it points to is replaced.
* Every output of one command is checked before anything is written, and two outputs may not
  name the same file.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, TypeAlias

from devicekit.errors import InvalidInput, quote

if TYPE_CHECKING:
    from collections.abc import Iterable

#: a file name: a string or a path object
PathLike: TypeAlias = "str | os.PathLike[str]"

__all__ = [
    "check_outputs",
    "input_files",
    "quote",
    "read_regular",
    "regular_file",
    "same_file",
    "write_bytes_atomic",
    "write_text_atomic",
]

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def _short(path) -> str:
    return quote(path)


def _os_error(path, error: OSError) -> InvalidInput:
    if error.errno == errno.ENAMETOOLONG:
        return InvalidInput(
            f"{_short(path)}: the file name is too long for the filesystem "
            f"({len(os.path.basename(str(path)))} characters); choose a shorter name"
        )
    if error.errno == errno.ENOTDIR:
        return InvalidInput(f"{_short(path)}: a part of the path is not a folder")
    return InvalidInput(f"cannot use {_short(path)}: {error.strerror}")


def _stat(path, follow: bool) -> os.stat_result | None:
    try:
        return os.stat(path) if follow else os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise _os_error(path, error) from None


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def regular_file(
    path: PathLike, *, what: str, max_bytes: int, error: type[Exception] = InvalidInput
) -> BinaryIO:
    """Open ``path`` for reading if it is a regular file of at most ``max_bytes``; a folder,
    FIFO, socket or device is refused at once (it is checked before it is opened, and a FIFO is
    opened without blocking). Returns a binary file object."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise error(f"{what} {_short(path)} does not exist") from None
    except OSError as problem:
        raise error(str(_os_error(path, problem))) from None
    if not stat.S_ISREG(info.st_mode):
        raise error(f"{what} {_short(path)} is {_kind(info.st_mode)}, not a regular file")
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError as problem:
        raise error(f"cannot read {what} {_short(path)}: {problem.strerror}") from None
    handle = os.fdopen(descriptor, "rb")
    info = os.fstat(handle.fileno())  # the file opened, not the name stat'ed before
    if not stat.S_ISREG(info.st_mode):
        handle.close()
        raise error(f"{what} {_short(path)} is {_kind(info.st_mode)}, not a regular file")
    if info.st_size > max_bytes:
        handle.close()
        raise error(
            f"{what} {_short(path)} is {info.st_size:,} bytes, more than the limit of "
            f"{max_bytes:,} bytes"
        )
    return handle


def read_regular(
    path: PathLike, *, what: str, max_bytes: int, error: type[Exception] = InvalidInput
) -> bytes:
    """The bytes of a regular file of at most ``max_bytes`` (see :func:`regular_file`)."""
    with regular_file(path, what=what, max_bytes=max_bytes, error=error) as handle:
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:  # it grew after the check
        raise error(f"{what} {_short(path)} is larger than the limit of {max_bytes:,} bytes")
    return data


def input_files(name_or_path: PathLike) -> list[str]:
    """The file behind a model argument, if it names one (a built-in name or a model object
    names none): the inputs that no output may replace."""
    if not isinstance(name_or_path, (str, os.PathLike)):
        return []
    try:
        return [str(name_or_path)] if Path(name_or_path).is_file() else []
    except OSError:  # a name too long to be a file
        return []


def same_file(a: PathLike, b: PathLike) -> bool:
    """Whether two paths name the same existing file (:func:`os.path.samefile`)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _target(path, *, force: bool, inputs=()) -> Path:
    """The file that writing ``path`` replaces (a symlink's target), after refusing what must
    never be replaced."""
    path = Path(path)
    if not str(path) or str(path).endswith(os.sep):
        raise InvalidInput(f"{_short(path)} is not a file name; give one such as out.csv")
    info = _stat(path, follow=False)
    target = path
    if info is not None and stat.S_ISLNK(info.st_mode):
        target = Path(os.path.realpath(path))
        info = _stat(target, follow=True)
    if info is not None:
        if stat.S_ISDIR(info.st_mode):
            raise InvalidInput(f"{_short(path)} is a folder; give a file name")
        if not stat.S_ISREG(info.st_mode):
            raise InvalidInput(
                f"{_short(path)} is not a regular file (a device, pipe or socket, or a link to "
                "one) and is never replaced, even with --force; give a file name"
            )
        for given in inputs:
            if given is not None and same_file(target, given):
                raise InvalidInput(
                    f"{_short(path)} is an input of this command ({_short(given)}); it is never "
                    "written over, even with --force; choose another output name"
                )
        if not force:
            raise InvalidInput(f"{_short(path)} exists; choose another name or add --force")
    folder = target.parent if str(target.parent) else Path(".")
    folder_info = _stat(folder, follow=True)
    if folder_info is None or not stat.S_ISDIR(folder_info.st_mode):
        raise InvalidInput(f"folder {_short(folder)} does not exist; create it first")
    return target


def check_outputs(
    *outputs: PathLike | None, inputs: Iterable[PathLike] = (), force: bool = False
) -> list[Path]:
    """Refuse, before any work, outputs that would lose data: an existing file without
    ``force``, an input of the command, a special file, or two outputs naming one file.
    ``None`` entries are skipped. Returns the files that will be written."""
    targets: list[Path] = []
    for output in outputs:
        if output is None:
            continue
        target = _target(output, force=force, inputs=inputs)
        for earlier in targets:
            if os.path.realpath(earlier) == os.path.realpath(target):
                raise InvalidInput(
                    f"two outputs name the same file {_short(output)}; give each its own name"
                )
        targets.append(target)
    return targets


def write_bytes_atomic(
    path: PathLike, data: bytes, *, force: bool = False, inputs: Iterable[PathLike] = ()
) -> Path:
    """Write ``data`` to ``path`` atomically; refuse to replace an existing file unless
    ``force``, and never replace an input, a special file or a folder (see the module)."""
    target = _target(path, force=force, inputs=inputs)
    folder = target.parent if str(target.parent) else Path(".")
    try:
        descriptor, temporary = tempfile.mkstemp(prefix=".devicekit-", suffix=".tmp", dir=folder)
    except OSError as error:
        raise InvalidInput(f"cannot write in {_short(folder)}: {error.strerror}") from None
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise InvalidInput(f"cannot write {_short(path)}: {error.strerror}") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return Path(path)


def write_text_atomic(
    path: PathLike, text: str, *, force: bool = False, inputs: Iterable[PathLike] = ()
) -> Path:
    return write_bytes_atomic(path, text.encode("utf-8"), force=force, inputs=inputs)
