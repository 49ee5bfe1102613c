"""A sweep's checkpoint: an append-only JSON-lines file, a header naming the sweep, then one
record per finished point (flushed and fsync'ed), locked by the sweep that writes it, so that an
interrupted sweep loses only the points that were running and resumes with the rest.
"""

from __future__ import annotations

import fcntl
import json
import os
import stat
from pathlib import Path
from typing import Any, BinaryIO

from devicekit.errors import CheckpointWarning, DataFormatError, InvalidInput, SweepError, warn

__all__ = ["Checkpoint"]

CHECKPOINT_FORMAT = "devicekit-sweep-checkpoint"


class Checkpoint:
    """An append-only JSON-lines file: a header naming the sweep, then one record per point."""

    def __init__(self, path: Path, handle: BinaryIO) -> None:
        self.path = path
        self._handle = handle

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        fingerprint: str,
        total: int,
        *,
        resume: bool,
        force: bool,
    ) -> tuple[Checkpoint, dict[int, Any]]:
        """Open for appending, under an exclusive lock held until :meth:`close`; return the
        checkpoint and the records already in it. A second sweep on the same checkpoint
        (a plain run, ``resume`` or ``force``) is refused while this one runs."""
        path = Path(path)
        existed = path.exists()
        if existed and not resume and not force:
            raise InvalidInput(
                f"{str(path)!r} holds an unfinished sweep; add --resume (resume=True) to "
                "finish it, or --force to start over"
            )
        if not path.parent.is_dir():
            raise InvalidInput(f"folder {str(path.parent)!r} does not exist; create it first")
        handle = _open_locked(path)  # locked before anything is read or truncated
        try:
            if existed and resume:
                records, good_bytes, damaged = _read_records(handle, path, fingerprint, total)
                checkpoint = cls(path, handle)
                if damaged:  # rewrite in place, under the lock: header and the good records
                    checkpoint._rewrite(fingerprint, total, records)
                else:
                    handle.truncate(good_bytes)  # drop a line torn by a crash mid-write
                    handle.seek(good_bytes)
                return checkpoint, records
            handle.truncate(0)
            checkpoint = cls(path, handle)
            checkpoint._write(_header(fingerprint, total))
            return checkpoint, {}
        except BaseException:
            handle.close()
            raise

    def _rewrite(self, fingerprint: str, total: int, records: dict) -> None:
        self._handle.seek(0)
        self._handle.truncate(0)
        self._write(_header(fingerprint, total))
        for index in sorted(records):
            self._write(records[index])

    def remove(self) -> None:
        """Delete the checkpoint (the sweep is complete), still under its lock."""
        self.path.unlink(missing_ok=True)

    def append(self, record: dict) -> None:
        self._write(record)

    def _write(self, data: dict) -> None:
        line = json.dumps(data, allow_nan=True, separators=(",", ":")) + "\n"
        data = memoryview(line.encode())
        try:
            while data:  # unbuffered: a failed write leaves nothing behind to flush at close
                data = data[self._handle.write(data) :]
            os.fsync(self._handle.fileno())
        except OSError as error:
            raise SweepError(
                f"cannot write the checkpoint {str(self.path)!r}: {error.strerror}; free space "
                "or choose another output folder, then run again with --resume",
                checkpoint=self.path,
            ) from None

    def close(self) -> None:
        self._handle.close()


def _header(fingerprint: str, total: int) -> dict:
    return {
        "format": CHECKPOINT_FORMAT,
        "version": 1,
        "fingerprint": fingerprint,
        "points": total,
    }


def _open_locked(path: Path):
    """Open (creating) the checkpoint for reading and writing, unbuffered, and take an
    exclusive lock on it, or refuse at once when another sweep holds it."""
    try:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOCTTY, 0o644)
    except OSError as error:
        raise SweepError(
            f"cannot write the checkpoint {str(path)!r}: {error.strerror}; choose a writable "
            "output folder",
            checkpoint=path,
        ) from None
    handle = open(descriptor, "r+b", buffering=0)  # noqa: SIM115 - closed by Checkpoint.close
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise InvalidInput(
            f"{str(path)!r} is in use by another sweep that is still running; wait for it to "
            "finish (or stop it), then run again with --resume"
        ) from None
    if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
        handle.close()
        raise InvalidInput(f"{str(path)!r} is not a regular file; give another output name")
    return handle


def _valid_record(record, total: int) -> str | None:
    """Why a checkpoint record is unusable, or None when it is a finished point."""
    if not isinstance(record, dict):
        return "not a record"
    point = record.get("point")
    if isinstance(point, bool) or not isinstance(point, int):
        return "no point number"
    if not 0 <= point < total:
        return f"point {point} is not in this sweep"
    rows, error = record.get("rows"), record.get("error")
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        return "its rows are not a list of tables"
    if not all(isinstance(v, (int, float)) for r in rows for v in r.values()):
        return "a measure is not a number"
    if error is not None and not isinstance(error, str):
        return "its error is not text"
    if error is None and not rows:
        return "neither rows nor an error"
    return None


def _read_records(handle, path: Path, fingerprint: str, total: int):
    """(records by point, bytes of the intact prefix, damaged line numbers). A torn last line
    is dropped silently (a crash mid-write); a damaged or wrongly shaped record elsewhere is
    skipped with a warning, and its point runs again."""
    handle.seek(0)
    data = handle.read()
    lines = data.split(b"\n")
    try:
        header = json.loads(lines[0])
        ok = isinstance(header, dict) and header.get("format") == CHECKPOINT_FORMAT
    except ValueError:
        ok = False
    if not ok:
        raise DataFormatError(f"{str(path)!r} is not a devicekit sweep checkpoint")
    if header.get("fingerprint") != fingerprint:
        raise InvalidInput(
            f"{str(path)!r} belongs to a different sweep (model, analysis, measures or points "
            "changed); run the original sweep again, or add --force to start this one over"
        )
    records: dict[int, dict] = {}
    damaged: list[tuple[int, str]] = []
    good = len(lines[0]) + 1
    for number, line in enumerate(lines[1:], start=2):
        if not line:
            good += 1 if good + 1 <= len(data) else 0
            continue
        complete = good + len(line) < len(data)  # followed by a newline
        if not complete:
            break  # the last line, torn by a crash mid-write: dropped, the point reruns
        try:
            record = json.loads(line)
            problem = _valid_record(record, total)
        except ValueError:
            problem = "not JSON"
        good += len(line) + 1
        if problem:
            damaged.append((number, problem))
            continue
        records.setdefault(record["point"], record)
    if damaged:
        where = ", ".join(f"line {n} ({why})" for n, why in damaged[:5])
        more = f" and {len(damaged) - 5} more" if len(damaged) > 5 else ""
        warn(
            f"checkpoint {str(path)!r}: skipped {len(damaged)} damaged record(s), {where}{more}; "
            "their points run again, every other saved point is kept",
            CheckpointWarning,
        )
    return records, good, damaged
