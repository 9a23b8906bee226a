"""The committee workbook's tables are written as XlsxWriter writes them cell by cell, part for part."""

from __future__ import annotations

import zipfile

import pandas as pd

from publish import committee
from publish.committee import Cover, write_workbook


def _tables() -> dict[str, pd.DataFrame]:
    # (XlsxWriter writes a table's first two rows itself: what matters comes after.)
    plain = pd.DataFrame(
        {
            "nis_code": ["11001", "11002", "21004", "21005", None, "21007"],
            "commune_fr": ["Aartselaar", "Anvers", "Bruxelles", " Ixelles", "Etterbeek ", "A & B <c>"],
            "commune_nl": ["Aartselaar", "Antwerpen", "Brussel", "Elsene", "", "Évère\u00a0"],
            "year": pd.array([2024, 2024, 2024, None, 2025, 2026], dtype="Int32"),
            "eligible": [True, True, True, False, True, False],
            "amount_euro": [1.0, 2.0, 1234.5, None, -0.1 + 0.3, 1e17],
            "paid_cents": [1, 2, 123456789012, 0, -5, 7],
            "gate_a_probability": [0.5, 0.5, 0.25, float("nan"), 1.0, 1e-12],
            "reason": ["a", "b", "a: b", "note_x1_", "x\ny", None],
        }
    )
    # Values XlsxWriter writes other than as plain cells: the table goes through XlsxWriter.
    special = pd.DataFrame({"x": ["=1+1", "https://example.org", "a\x01b", "_x0041_"], "amount_euro": [1.0, float("inf"), 2.0, 3.0]})
    return {"fund_eligibility": plain, "whatif_lines": special, "empty": plain.iloc[0:0], "no_cell": pd.DataFrame({"x": [None] * 4})}


def _parts(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist() if name != "docProps/core.xml"}


def test_tables_are_the_cells_xlsxwriter_writes(tmp_path, monkeypatch):
    cover = Cover([("a", "b", "c")], (("Totaux", "Totalen", pd.DataFrame({"year": [2024], "paid_euro": [1.5]})),))
    fast = write_workbook(tmp_path / "fast.xlsx", _tables(), cover)
    monkeypatch.setattr(committee, "_plain_cells", lambda values: False)
    reference = write_workbook(tmp_path / "reference.xlsx", _tables(), cover)

    assert _parts(fast) == _parts(reference)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fast.xlsx", "reference.xlsx"]  # no staging file left


def test_plain_cells_leave_formulas_links_and_control_characters_to_xlsxwriter():
    assert committee._plain_cells(["a: b", "x\ny", " lead", 1, 2.5, True, None, ""])
    for value in ("=1+1", "{=A1}", "http://x", "mailto:a", "a\x01b", "_x0041_", "<r>x</r>", float("inf"), float("nan"), b"x"):
        assert not committee._plain_cells([value]), value
