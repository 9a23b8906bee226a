"""What a fund committee gets from a release: the workbook, explanations, what-if runs."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from ingestion.files import sha256_of
from orchestration import cli
from orchestration.settings import REPO_ROOT

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def _sample_data_dir(sample_run, monkeypatch):
    monkeypatch.setenv("COHESION_DATA_DIR", str(sample_run.data_dir))


def _release_dir(data_dir):
    releases = sorted(p for p in (data_dir / "releases").iterdir() if not p.name.startswith("."))
    return releases[-1]


def test_release_carries_the_committee_workbook_with_french_and_dutch_headers(sample_run):
    workbook = _release_dir(sample_run.data_dir) / "exports" / "committee" / "fund_committee.xlsx"
    sheets = pd.read_excel(workbook, sheet_name=None, header=None, engine="calamine")
    assert list(sheets) == [
        "Couverture - Voorblad", "Éligibilité - Subsidiabiliteit", "Montants - Bedragen", "Transitions - Overgangen",
        "Années du fonds - Fondsjaren", "Éditions de l'indice - Edities",
    ]
    # What each edition of the index uses and why a year has no fund, in the committee's languages.
    editions = sheets["Éditions de l'indice - Edities"]
    assert editions.iloc[0].tolist()[:3] == ["Année", "Périmètre", "Publiée"]
    assert editions.iloc[1].tolist()[:3] == ["Jaar", "Bereik", "Gepubliceerd"]
    national = editions.iloc[2:][editions.iloc[2:][1] == "BE"]
    assert sorted(int(y) for y in national.loc[national[2].astype(bool), 0]) == list(range(2019, 2026))
    fund_years = sheets["Années du fonds - Fondsjaren"]
    assert [int(y) for y in fund_years.iloc[2:, 0]] == list(range(2019, 2026))
    cover = sheets["Couverture - Voorblad"]
    assert "synthetic sample" in cover[2].astype(str).tolist()
    allocation = sheets["Montants - Bedragen"]
    assert allocation.iloc[0].tolist()[:4] == ["Commune", "Commune (NL)", "Code INS", "Année"]
    assert allocation.iloc[1].tolist()[:4] == ["Gemeente (FR)", "Gemeente", "NIS-code", "Jaar"]
    budgets = yaml.safe_load((REPO_ROOT / "config" / "fund_rules.yml").read_text())["budget"]["by_year"]
    cents = allocation.iloc[2:].groupby(3)[6].sum()
    assert {int(y): int(c) for y, c in cents.items()} == {int(y): int(b) * 100 for y, b in budgets.items()}


def test_explain_prints_plain_sentences_with_the_commune_name(sample_run, capsys):
    assert cli.main(["explain", "21013", "--year", "2025", "--lang", "fr"]) == 0
    out = capsys.readouterr().out
    assert "Saint-Gilles" in out and "2025" in out
    assert cli.main(["explain", "21013", "--lang", "nl"]) == 0
    assert "Sint-Gillis" in capsys.readouterr().out
    assert cli.main(["explain", "99999"]) == 2
    assert "'99999' is not a commune of the 565 map" in capsys.readouterr().err


def test_whatif_compares_rules_without_touching_the_release(sample_run, tmp_path, capsys):
    published = sample_run.data_dir / "published" / "cohesion.duckdb"
    before = sha256_of(published)
    rules = yaml.safe_load((REPO_ROOT / "config" / "fund_rules.yml").read_text())
    rules["version"] = "whatif-test"
    rules["gate_b"]["top_fraction"] = "1/2"
    edited = tmp_path / "rules.yml"
    edited.write_text(yaml.safe_dump(rules))
    assert cli.main(["whatif", str(edited), "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "what-if rules whatif-test against current rules" in out
    assert "newly eligible" in out
    assert (tmp_path / "out" / "whatif.xlsx").exists()
    comparison = pd.read_csv(tmp_path / "out" / "whatif_comparison.csv")
    assert comparison.groupby("year")["after_cents"].sum().to_dict() == comparison.groupby("year")["before_cents"].sum().to_dict()
    assert sha256_of(published) == before


def test_whatif_rejects_an_invalid_rules_file(sample_run, tmp_path, capsys):
    rules = yaml.safe_load((REPO_ROOT / "config" / "fund_rules.yml").read_text())
    rules["budget"]["by_year"][2025] = -5
    edited = tmp_path / "bad.yml"
    edited.write_text(yaml.safe_dump(rules))
    assert cli.main(["whatif", str(edited)]) == 2
    assert "budget" in capsys.readouterr().err
