"""`cohesion archive` and the one error path of the command line."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from ingestion.archive import RawArchive
from ingestion.catalog import FileSpec, load_catalog

FIXED = "2025-12-01T00:00:00Z"
LATER = "2026-02-01T00:00:00Z"
POP_HEADER = "CD_REFNIS|TX_DESCR_NL|TX_DESCR_FR|CD_SEX|CD_NATLTY|CD_AGE|MS_POPULATION"


@pytest.fixture
def pop() -> FileSpec:
    return load_catalog().dataset("statbel_population").file("pop_struct")


def population_zip(year: int, people: int = 2) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"TF_SOC_POP_STRUCT_{year}.txt", f"{POP_HEADER}\r\n21001|A|A|M|BEL|30|{people}\r\n")
    return buffer.getvalue()


def write(path: Path, content: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def test_the_cli_retires_and_lists(tmp_path: Path, pop: FileSpec, monkeypatch, capsys) -> None:
    from cli.main import main

    monkeypatch.setenv("COHESION_DATA_DIR", str(tmp_path))
    archive = RawArchive(tmp_path / "raw")
    archive.store(write(tmp_path / "g.zip", population_zip(2025, 2)), spec=pop, year=2025, origin="source_dir",
                  retrieved_at=FIXED)  # fmt: skip
    bad = archive.store(write(tmp_path / "b.zip", population_zip(2025, 20)), spec=pop, year=2025, origin="source_dir",
                        retrieved_at=LATER).entry  # fmt: skip
    assert main(["archive", "retire", "statbel_population", bad.vintage, "--reason", "x10 test file", "--by", "me"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"statbel_population/{bad.vintage}/TF_SOC_POP_STRUCT_2025.zip: retired on ")
    assert out[0].endswith(" by me: x10 test file")
    assert out[1] == (
        "the next run loads statbel_population/pop_struct 2025 from vintage 2025 (the copy supplied last, retrieved "
        f"{FIXED}; not loaded: {bad.vintage} ({archive.decisions()[-1].describe()}))"
    )
    assert main(["archive", "list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in listed[:2]] == ["current", "retired"]
    assert listed[-1] == "1 current, 0 older, 1 retired, 0 ignored (current = loaded by the next run)"
    assert main(["archive", "retire", "statbel_population", "2031", "--reason", "x"]) == 2
    assert capsys.readouterr().err == (
        "cohesion archive: the archive holds no vintage '2031' of dataset 'statbel_population' (its vintages: 2025, "
        f"{bad.vintage}; see `cohesion archive list`)\n"
    )


def test_every_error_of_every_subcommand_is_one_line_and_a_traceback_only_with_debug(tmp_path: Path, monkeypatch, capsys):
    from cli import main as cli

    monkeypatch.setenv("COHESION_DATA_DIR", str(tmp_path))

    def broken(args):
        raise KeyError("budget")  # an error nobody wrapped in a CohesionError

    monkeypatch.setattr(cli, "_cmd_releases", broken)
    assert cli.main(["releases"]) == 2
    captured = capsys.readouterr()
    assert captured.err == "cohesion releases: KeyError: 'budget' (run again with --debug for the traceback)\n"
    for argv in (["--debug", "releases"], ["releases", "--debug"]):
        assert cli.main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith("Traceback (most recent call last):")
        assert err.endswith("cohesion releases: KeyError: 'budget' (run again with --debug for the traceback)\n")


def test_a_command_that_writes_the_data_folder_refuses_while_another_holds_it(tmp_path: Path, monkeypatch, capsys):
    from cli.main import main
    from cli.run_lock import data_folder_lock

    monkeypatch.setenv("COHESION_DATA_DIR", str(tmp_path))
    with data_folder_lock(tmp_path, "cohesion run --sample"):
        # flock locks are per open file: a second open in this process conflicts like another process.
        assert main(["rollback", "20251201T000000Z-3f2a1b"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"cohesion rollback: the data folder {tmp_path} is in use by pid ")
    assert "`cohesion run --sample` since " in err and err.count("\n") == 1
