"""How header texts and labels are compared, shared by the parsers and the layout signatures."""

from __future__ import annotations

import math
import unicodedata


def normalise_label(value: object) -> str:
    """Header text compared loosely: case, accents, apostrophes and spacing do not matter."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or type(value).__name__ == "NAType":
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFKD", str(value).replace("\u2019", "'"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(text.casefold().split())


def label_key(text: object) -> str:
    """How verbatim labels (Swing indicators) are compared: only whitespace is collapsed."""
    return " ".join(str(text).split())
