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


# --------------------------------------------------------------- user data is never overwritten
import shutil  # noqa: E402
from pathlib import Path  # noqa: E402

from devicekit.io import check_outputs  # noqa: E402

from .conftest import MEASUREMENTS, run_cli  # noqa: E402


def _one_line_refusal(result):
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr


@pytest.fixture
def dataset(tmp_path):
    """A copy of the nanopore data set (the real measurements are never written to)."""
    for name in ("howorka_dna_nanopore_iv.csv", "howorka_dna_nanopore_iv.toml"):
        shutil.copy(MEASUREMENTS / name, tmp_path / name)
    return tmp_path / "howorka_dna_nanopore_iv.toml"


@pytest.mark.parametrize("victim", ["howorka_dna_nanopore_iv.csv", "howorka_dna_nanopore_iv.toml"])
@pytest.mark.parametrize("option", ["-o", "--plot"])
@pytest.mark.parametrize("force", [[], ["--force"]])
def test_fit_never_writes_over_its_inputs(dataset, victim, option, force):
    folder = dataset.parent
    before = (folder / victim).read_bytes()
    suffix = "png" if option == "--plot" else "toml"
    # also reached through a symlink and a relative path: compared by identity, not by name
    link = folder / f"link.{suffix}"
    link.symlink_to(folder / victim)
    for target in (victim, str(link), f"./{victim}"):
        result = run_cli(
            "fit", dataset.name, "--model", "ohmic", option, target, *force, cwd=folder
        )
        _one_line_refusal(result)
        assert "input" in result.stderr or "exists" in result.stderr
    assert (folder / victim).read_bytes() == before


def test_export_and_simulate_never_write_over_their_card(tmp_path):
    card = tmp_path / "cell.toml"
    assert (
        run_cli("export", "hh-squid", "--format", "card", "-o", str(card), cwd=tmp_path).returncode
        == 0
    )
    before = card.read_bytes()
    for command in (
        ["export", str(card), "--format", "spice", "-o", str(card), "--force"],
        ["simulate", str(card), "--tstop", "1ms", "-o", str(card), "--force"],
        ["sweep", str(card), "--param", "temperature=280,290", "--analysis", "op",
         "-o", str(tmp_path / "s.csv"), "--workers", "0"],
    ):  # fmt: skip
        if command[0] == "sweep":  # the card as the checkpoint: a symlink named like it
            (tmp_path / "s.csv.partial.jsonl").symlink_to(card)
        result = run_cli(*command, cwd=tmp_path)
        _one_line_refusal(result)
        assert "input" in result.stderr
    assert card.read_bytes() == before


def test_force_replaces_the_file_a_symlink_points_to_and_keeps_the_link(tmp_path):
    real = tmp_path / "real.txt"
    real.write_text("old")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    write_text_atomic(link, "new", force=True)
    assert link.is_symlink() and real.read_text() == "new"


def test_force_never_replaces_a_symlink_to_a_pipe(tmp_path):
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    link = tmp_path / "out.csv"
    link.symlink_to(pipe)
    with pytest.raises(InvalidInput, match="not a regular file"):
        write_text_atomic(link, "x", force=True)
    result = run_cli(
        "simulate", "hh-squid", "--tstop", "1ms", "-o", "out.csv", "--force", cwd=tmp_path
    )
    _one_line_refusal(result)
    assert link.is_symlink() and stat.S_ISFIFO(os.stat(pipe).st_mode)


def test_a_socket_is_never_replaced(tmp_path):
    import socket

    path = tmp_path / "s.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    try:
        with pytest.raises(InvalidInput, match="not a regular file"):
            write_text_atomic(path, "x", force=True)
        assert stat.S_ISSOCK(os.lstat(path).st_mode)
    finally:
        server.close()


def test_a_name_too_long_for_the_filesystem_is_one_line(tmp_path):
    name = "x" * 300 + ".csv"  # NAME_MAX is 255 bytes on Linux filesystems
    with pytest.raises(InvalidInput, match="too long"):
        write_text_atomic(tmp_path / name, "x")
    result = run_cli("simulate", "hh-squid", "--tstop", "1ms", "-o", name, cwd=tmp_path)
    _one_line_refusal(result)
    assert "too long" in result.stderr
    assert len(result.stderr) < 400  # the name is shortened in the message


def test_two_outputs_naming_one_file_are_refused_before_anything_is_written(tmp_path):
    result = run_cli("simulate", "hh-squid", "--tstop", "1ms", "--out", "a.png", "--plot", "a.png",
                  cwd=tmp_path)  # fmt: skip
    _one_line_refusal(result)
    assert "same file" in result.stderr
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(InvalidInput, match="same file"):
        check_outputs(tmp_path / "a.csv", Path(f"{tmp_path}/./a.csv"))
