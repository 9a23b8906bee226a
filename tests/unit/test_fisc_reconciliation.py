"""The fiscal workbook's communes must add up to the publisher's own Belgium row."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ingestion.errors import ParseError
from ingestion.parsers.statbel_income import _reconcile_with_country_row


def _case(belgium: float, communes: list[float], suppressed: list[bool] | None = None):
    body = pd.DataFrame({"name": ["België", "Aalst", "Gent"], "residents": [belgium, *communes]}, index=[7, 8, 9])
    codes = pd.Series(["01000", "41002", "44021"], index=body.index)
    rows = pd.Series([8, 9, 10], index=body.index)
    flags = np.array(suppressed or [False] * len(communes))
    cells = {"residents": (np.array(communes, dtype=float), flags)}
    return dict(body=body, codes=codes, rows=rows, cells=cells, where={"residents": 1}, columns=body.columns)


def test_communes_adding_up_to_the_belgium_row_are_reconciled():
    case = _case(300_000, [100_000, 200_000])
    assert _reconcile_with_country_row(**case, dataset="statbel_income", file="fisc.xls") == {"residents": "reconciled"}


def test_a_commune_counted_twice_is_an_error_naming_both_totals():
    case = _case(300_000, [100_000, 400_000])
    with pytest.raises(ParseError) as error:
        _reconcile_with_country_row(**case, dataset="statbel_income", file="fisc.xls")
    assert str(error.value) == (
        "dataset statbel_income, file fisc.xls, row 8, column 'Aantal inwoners': the communes add up to 500,000 "
        "but the publisher's Belgium row says 300,000 (a commune missing or counted twice?)"
    )


def test_a_suppressed_commune_makes_the_sum_unverifiable_not_wrong():
    case = _case(300_000, [100_000, float("nan")], suppressed=[False, True])
    outcome = _reconcile_with_country_row(**case, dataset="statbel_income", file="fisc.xls")
    assert outcome == {"residents": "not checked: 1 commune(s) suppressed"}
