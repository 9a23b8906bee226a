"""Numbers as each language writes them: Belgian French `1 234,5` (narrow no-break space between
thousands), Belgian Dutch `1.234,5`, English `1,234.5`. assets/site.js formats the map's tooltips
and legend with the same rules (a test compares the two)."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

NARROW_NBSP = "\u202f"
_SEPARATORS = {"fr": (NARROW_NBSP, ","), "nl": (".", ","), "en": (",", ".")}
DASH = "–"  # an absent value (NULL): never written as 0


def format_number(value: float | int | None, lang: str, decimals: int = 0) -> str:
    """``value`` rounded to ``decimals`` with the language's separators; a dash for NULL."""
    if value is None:
        return DASH
    value = float(value)  # numpy numbers too
    if not math.isfinite(value):
        return DASH
    text = _english(value, decimals)
    return text if lang == "en" else text.translate(_FROM_ENGLISH[lang])


# English writes ',' between thousands and '.' before decimals: the other languages swap them.
_FROM_ENGLISH = {
    lang: str.maketrans({",": group, ".": point}) for lang, (group, point) in _SEPARATORS.items() if lang != "en"
}


_EXACT_HALVES = 2.0**52


def _english(value: float, decimals: int) -> str:
    magnitude = abs(value)
    # Halves round up on the exact binary value, as JavaScript's toFixed does (12.25 -> 12.3);
    # Python's formatting rounds them to even, and is exact everywhere else. A half is exact
    # only when twice the scaled value is an odd integer, which the ratio tells without error; below
    # 2**52 such a half is computed exactly, so only values near one need the check.
    scaled = magnitude * 10.0**decimals
    if scaled >= _EXACT_HALVES or abs(scaled - math.floor(scaled) - 0.5) < 1e-6:
        numerator, denominator = magnitude.as_integer_ratio()
        twice = numerator * 10**decimals * 2
        if twice % denominator == 0 and (twice // denominator) % 2 == 1:
            exact = Decimal(magnitude).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
            text = f"{exact:,.{decimals}f}"
        else:
            text = f"{magnitude:,.{decimals}f}"
    else:
        text = f"{magnitude:,.{decimals}f}"
    # No "-0,0": a value that rounds to zero has no sign.
    return "-" + text if value < 0 and text.strip("0.,") else text


def in_language(english: str, lang: str) -> str:
    """A number ``format_number`` wrote in English, as ``lang`` writes it (formatted once for the
    three languages of a page)."""
    return english if lang == "en" else english.translate(_FROM_ENGLISH[lang])


def format_euros(cents: int | None, lang: str) -> str:
    """Euro cents as euros with two decimals, the symbol where each language puts it."""
    if cents is None:
        return DASH
    amount = format_number(cents / 100, lang, 2)
    return f"€{amount}" if lang == "en" else f"{amount}\u00a0€"


def format_percent(share: float | None, lang: str, decimals: int = 1) -> str:
    """A share (0 to 1) as a percentage."""
    if share is None:
        return DASH
    number = format_number(share * 100, lang, decimals)
    return f"{number}%" if lang == "en" else f"{number}\u00a0%"
