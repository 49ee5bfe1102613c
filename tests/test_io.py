import os
import stat

import pytest

from devicekit.errors import InvalidInput
from devicekit.io import write_text_atomic


def test_write_and_refuse_overwrite(tmp_path):
    path = tmp_path / "out.txt"
    write_text_atomic(path, "one")
    with pytest.raises(InvalidInput, match="--force"):
        write_text_atomic(path, "two")
    assert path.read_text() == "one"
    write_text_atomic(path, "two", force=True)
    assert path.read_text() == "two"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]  # no temporary left behind


def test_missing_folder(tmp_path):
    with pytest.raises(InvalidInput, match="does not exist"):
        write_text_atomic(tmp_path / "nope" / "out.txt", "x")


def test_read_only_filesystem_is_a_clean_error(tmp_path):
    # /proc is read-only for everyone, root included
    with pytest.raises(InvalidInput, match="cannot write"):
        write_text_atomic("/proc/devicekit-test.txt", "x")


def test_a_special_file_is_never_replaced(tmp_path):
    # a named pipe stands in for /dev/null: os.replace would put a regular file in its place,
    # even with --force (the test never touches a real device)
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    with pytest.raises(InvalidInput, match="not a regular file"):
        write_text_atomic(pipe, "data", force=True)
    assert stat.S_ISFIFO(os.stat(pipe).st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["pipe"]  # no temporary left behind
