"""What a release is made from and what it holds, as two digests: what changes them and what does not."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from publish.fingerprint import code_fingerprint, content_digest, dataset_fingerprints, inputs_fingerprint, method_fingerprint


@pytest.fixture
def layout(tmp_path: Path) -> tuple[Path, Path, Path]:
    repo, raw, config = tmp_path / "repo", tmp_path / "data" / "raw", tmp_path / "config"
    (repo / "ingestion").mkdir(parents=True)
    (repo / "ingestion" / "parse.py").write_text("ROWS = 1\n")
    (repo / "dbt_project" / "models").mkdir(parents=True)
    (repo / "dbt_project" / "models" / "m.sql").write_text("select 1\n")
    (raw / "employment" / "2024").mkdir(parents=True)
    (raw / "employment" / "2024" / "counts.csv").write_text("a,b\n1,2\n")
    (raw / "employment" / "2024" / "counts.csv.meta.json").write_text('{"sha256": "aa"}')
    config.mkdir()
    (config / "fund_rules.yml").write_text("version: 2025.1\n")
    return repo, raw, config


def test_the_same_inputs_give_the_same_fingerprint_and_a_change_of_any_gives_another(layout):
    repo, raw, config = layout
    before = inputs_fingerprint(raw, config, repo)
    assert inputs_fingerprint(raw, config, repo) == before

    (config / "fund_rules.yml").write_text("version: 2025.2\n")
    after_config = inputs_fingerprint(raw, config, repo)
    assert after_config != before

    (raw / ".ledger").mkdir()
    (raw / ".ledger" / "2026-01-01-retire-1.json").write_text('{"vintage": "2024"}')
    after_retirement = inputs_fingerprint(raw, config, repo)
    assert after_retirement != after_config  # a retired copy changes what is loaded

    (raw / "employment" / "2024" / "counts.csv.meta.json").write_text('{"sha256": "bb"}')
    after_file = inputs_fingerprint(raw, config, repo)
    assert after_file != after_retirement

    (repo / "ingestion" / "parse.py").write_text("ROWS = 2\n")
    assert inputs_fingerprint(raw, config, repo) != after_file


def test_build_output_caches_and_unfinished_transactions_change_nothing(layout):
    repo, raw, config = layout
    before = inputs_fingerprint(raw, config, repo)
    (repo / "dbt_project" / "target").mkdir()
    (repo / "dbt_project" / "target" / "manifest.json").write_text("{}")
    (repo / "ingestion" / "__pycache__").mkdir()
    (repo / "ingestion" / "__pycache__" / "parse.cpython-311.pyc").write_bytes(b"\0")
    (raw / ".transactions").mkdir()
    (raw / ".transactions" / "t.json").write_text("{}")
    (repo / "ingestion" / "notes.txt").write_text("not code")
    assert inputs_fingerprint(raw, config, repo) == before


def test_the_code_fingerprint_covers_the_dbt_project(layout):
    repo, _, _ = layout
    before = code_fingerprint(repo)
    (repo / "dbt_project" / "models" / "m.sql").write_text("select 2\n")
    assert code_fingerprint(repo) != before


def test_the_content_digest_ignores_row_order_and_sees_every_value_and_column():
    frame = pd.DataFrame({"nis_code": ["21013", "21004", "11002"], "value": [1.5, 2.0, None]})
    with duckdb.connect() as con:
        con.register("t", frame)
        digest = content_digest(con, {"commune_values": "t"})
        con.unregister("t")
        assert content_digest(con, {}, {"commune_values": frame.iloc[::-1]}) == digest
        changed = frame.assign(value=[1.5, 2.0, 0.0])
        assert content_digest(con, {}, {"commune_values": changed}) != digest
        renamed = frame.rename(columns={"value": "amount"})
        assert content_digest(con, {}, {"commune_values": renamed}) != digest
        assert content_digest(con, {}, {"other_table": frame}) != digest
        doubled = pd.concat([frame, frame.iloc[[0]]])
        assert content_digest(con, {}, {"commune_values": doubled}) != digest


def test_inputs_that_made_the_same_content_are_remembered_beside_the_release(tmp_path: Path):
    from publish.publishing import SAME_CONTENT_FILE, inputs_fingerprints, remember_inputs
    from publish.release import Release, ReleaseInfo

    info = ReleaseInfo("r1", "2026-01-01T00:00:00+00:00", "test", "m", "r", "synthetic sample",
                       inputs_fingerprint="a" * 64, content_digest="c" * 64)  # fmt: skip
    release = Release("r1", tmp_path, "sha", {}, info)
    assert inputs_fingerprints(release) == {"a" * 64}
    remember_inputs(release, "a" * 64)  # its own: nothing to write
    assert not (tmp_path / SAME_CONTENT_FILE).exists()
    remember_inputs(release, "b" * 64)
    remember_inputs(release, "b" * 64)
    remember_inputs(release, "d" * 64)
    assert inputs_fingerprints(release) == {"a" * 64, "b" * 64, "d" * 64}
    assert (tmp_path / SAME_CONTENT_FILE).read_text().count("b" * 64) == 1


def test_the_site_code_is_part_of_what_a_release_holds(tmp_path: Path):
    from publish.fingerprint import site_code_fingerprint

    (tmp_path / "publish" / "site").mkdir(parents=True)
    (tmp_path / "publish" / "site" / "pages.py").write_text("TITLE = 'Cohésion'\n")
    before = site_code_fingerprint(tmp_path)
    (tmp_path / "publish" / "site" / "site.css").write_text("body { margin: 0 }\n")
    assert site_code_fingerprint(tmp_path) != before


def test_each_dataset_has_its_own_fingerprint_and_only_its_own_change_moves_it(layout):
    repo, raw, config = layout
    (raw / "schools" / "2023").mkdir(parents=True)
    (raw / "schools" / "2023" / "schools.csv.meta.json").write_text('{"sha256": "cc"}')
    before = dataset_fingerprints(raw)
    assert sorted(before) == ["employment", "schools"]

    (raw / "schools" / "2023" / "schools.csv.meta.json").write_text('{"sha256": "dd"}')
    after_file = dataset_fingerprints(raw)
    assert after_file["employment"] == before["employment"]
    assert after_file["schools"] != before["schools"]

    # A decision about one dataset's copy (a retirement) changes that dataset only.
    (raw / ".ledger").mkdir()
    (raw / ".ledger" / "2026-01-01-retire-1.json").write_text('{"dataset": "employment", "vintage": "2024"}')
    after_decision = dataset_fingerprints(raw)
    assert after_decision["schools"] == after_file["schools"]
    assert after_decision["employment"] != after_file["employment"]


def test_the_method_fingerprint_sees_code_and_config_but_not_the_archive(layout):
    repo, raw, config = layout
    before = method_fingerprint(config, repo)
    (raw / "employment" / "2024" / "counts.csv.meta.json").write_text('{"sha256": "bb"}')
    assert method_fingerprint(config, repo) == before
    (config / "fund_rules.yml").write_text("version: 2025.2\n")
    after_config = method_fingerprint(config, repo)
    assert after_config != before
    (repo / "ingestion" / "parse.py").write_text("ROWS = 2\n")
    assert method_fingerprint(config, repo) != after_config
