"""Numbers on the site are written the Belgian way in French and Dutch."""

from __future__ import annotations

import pytest

from publish.site.numbers import NARROW_NBSP, format_euros, format_number, format_percent


@pytest.mark.parametrize(
    ("value", "lang", "decimals", "expected"),
    [
        (1234.5, "fr", 1, f"1{NARROW_NBSP}234,5"),
        (1234.5, "nl", 1, "1.234,5"),
        (1234.5, "en", 1, "1,234.5"),
        (1234567, "fr", 0, f"1{NARROW_NBSP}234{NARROW_NBSP}567"),
        (-0.04, "nl", 1, "0,0"),  # no "-0,0"
        (-12.25, "en", 1, "-12.3"),  # halves up, as JavaScript rounds them
        (None, "fr", 1, "–"),
        (float("nan"), "nl", 1, "–"),
    ],
)
def test_format_number(value, lang, decimals, expected):
    assert format_number(value, lang, decimals) == expected


def test_euros_and_percent_in_each_language():
    assert format_euros(123456789, "fr") == f"1{NARROW_NBSP}234{NARROW_NBSP}567,89\u00a0€"
    assert format_euros(123456789, "nl") == "1.234.567,89\u00a0€"
    assert format_euros(123456789, "en") == "€1,234,567.89"
    assert format_percent(0.2534, "fr") == "25,3\u00a0%"
    assert format_percent(0.2534, "en") == "25.3%"


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (2.5, 0, "3"),  # an exact half rounds up, not to even
        (0.125, 2, "0.13"),
        (-0.5, 0, "-1"),
        (1.005, 2, "1.00"),  # 1.00499999999999989... in binary: not a half
        (2.675, 2, "2.67"),
        (0.045, 2, "0.04"),
        (4503599627370497.0, 0, "4,503,599,627,370,497"),  # beyond 2**52, where halves are not exact
        (1234567890123.25, 1, "1,234,567,890,123.3"),
    ],
)
def test_halves_round_up_on_the_exact_binary_value(value, decimals, expected):
    assert format_number(value, "en", decimals) == expected
