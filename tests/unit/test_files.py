"""ingestion/files.py: the spreadsheet column names every message and the xlsx reader use."""

from __future__ import annotations

import pytest

from ingestion.files import column_index, column_letter


@pytest.mark.parametrize(("index", "letters"), [(0, "A"), (25, "Z"), (26, "AA"), (27, "AB"), (701, "ZZ"), (702, "AAA")])
def test_column_letter_names_a_column_as_a_spreadsheet_does(index, letters):
    assert column_letter(index) == letters
    assert column_index(letters) == index
    assert column_index(f"{letters.lower()}17") == index  # a cell reference: its row is ignored


def test_every_column_of_a_wide_sheet_round_trips():
    assert [column_index(column_letter(i)) for i in range(3000)] == list(range(3000))
