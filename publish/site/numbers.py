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
    if value is None or not math.isfinite(float(value)):  # numpy numbers too
        return DASH
    group, point = _SEPARATORS[lang]
    # Halves round up on the exact binary value, as JavaScript's toFixed does (12.25 -> 12.3).
    exact = Decimal(abs(float(value))).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    text = f"{exact:,.{decimals}f}"  # ',' between thousands, '.' before decimals, then swapped
    whole, _, fraction = text.partition(".")
    whole = whole.replace(",", group)
    rounded_to_zero = float(text.replace(",", "")) == 0
    sign = "-" if value < 0 and not rounded_to_zero else ""
    return sign + whole + (point + fraction if fraction else "")


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
