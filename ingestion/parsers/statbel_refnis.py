"""Reference frames for geography: Statbel's REFNIS code list and the PinC merger crosswalks.

These are not canonical frames (no measures): the geography module and the crosswalk seeds are
checked against them. SOURCES.md sections 1.1 and 2.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import partial
from pathlib import Path

import pandas as pd
import python_calamine

from ingestion.errors import ParseError
from ingestion.filehead import FileHead
from ingestion.labels import normalise_label
from ingestion.parsers.statbel_common import cell_text, read_sheet, read_statbel_text, refuse_first
from ingestion.signature import Signature, require_columns, statbel_header

REFNIS_COLUMNS: tuple[str, ...] = (
    "level",
    "code",
    "parent",
    "name_de",
    "name_fr",
    "name_nl",
    "valid_from",
    "valid_to",
)
_SOURCE_COLUMNS = (
    "LVL_REFNIS",
    "CD_REFNIS",
    "CD_SUP_REFNIS",
    "TX_REFNIS_DE",
    "TX_REFNIS_FR",
    "TX_REFNIS_NL",
    "DT_VLDT_START",
    "DT_VLDT_END",
)
# Level 1 region, 2 province, 3 arrondissement, 4 commune (SOURCES.md 1.1).
LEVELS: frozenset[int] = frozenset({1, 2, 3, 4})


def parse_refnis_list(path: Path, *, dataset: str = "statbel_refnis") -> pd.DataFrame:
    """Statbel's TU_COM_REFNIS (txt or zip): one row per unit and validity period.

    ``parent`` is NA where Statbel writes ``-`` (regions, the defunct province 20000); the
    open end date 31/12/9999 is kept as 9999-12-31. A code can have several rows (one per
    validity period): filter with :func:`active_on`.
    """
    path = Path(path)
    text = read_statbel_text(path, dataset=dataset, member_prefix="TU_COM_REFNIS")
    names = text.require(*((c,) for c in _SOURCE_COLUMNS), expected="TU_COM_REFNIS columns")
    raw = text.columns(names)
    rows = text.row_numbers(raw)
    frame = pd.DataFrame(dict(zip(REFNIS_COLUMNS, (raw[c] for c in names), strict=True)))

    fail = partial(refuse_first, rows=rows, dataset=dataset, file=text.file)
    level = pd.to_numeric(frame["level"], errors="coerce")
    fail(~level.isin(LEVELS), frame["level"], "a level 1-4", column="LVL_REFNIS")
    frame["level"] = level.astype("int8")
    fail(~frame["code"].str.fullmatch(r"\d{5}"), frame["code"], "a 5-digit code", column="CD_REFNIS")
    parent = frame["parent"].where(~frame["parent"].isin(["-", ""]))
    bad = parent.notna() & ~parent.fillna("").str.fullmatch(r"\d{5}")
    fail(bad, frame["parent"], "a 5-digit code or '-'", column="CD_SUP_REFNIS")
    frame["parent"] = parent.astype("string")
    for column, source in (("valid_from", "DT_VLDT_START"), ("valid_to", "DT_VLDT_END")):
        dates = pd.to_datetime(frame[column], format="%d/%m/%Y", errors="coerce")
        fail(dates.isna(), frame[column], "a date DD/MM/YYYY", column=source)
        frame[column] = dates
    backwards = frame["valid_to"] < frame["valid_from"]
    fail(backwards, frame["valid_to"].astype(str), "an end date on or after the start date", column="DT_VLDT_END")
    for column in ("code", "name_de", "name_fr", "name_nl"):
        frame[column] = frame[column].astype("string")
    return frame[list(REFNIS_COLUMNS)]


def active_on(frame: pd.DataFrame, date: dt.date | str | pd.Timestamp) -> pd.DataFrame:
    """Rows of a :func:`parse_refnis_list` frame valid on ``date`` (both ends inclusive)."""
    when = pd.Timestamp(date)
    return frame[(frame["valid_from"] <= when) & (frame["valid_to"] >= when)]


def parse_crosswalk_workbook(path: Path, *, dataset: str = "statbel_refnis") -> pd.DataFrame:
    """A PinC aggregation table (one sheet, header ``<old map> | <new map>``) as
    ``from_nis``, ``to_nis`` text columns, one row per old code (pseudo codes included, as
    published: they map to themselves). The two header labels are kept in ``attrs``.

    Codes stored as numbers are turned back into text; they are not zero-padded, because the
    tables mix 5-digit communes with the short pseudo codes 103, 111, 113, 129 and 9999.
    """
    path = Path(path)
    file = path.name
    sheet, sheet_name = _only_sheet(path, dataset=dataset)
    filled = sheet.loc[:, sheet.notna().any(axis=0)]
    if filled.shape[1] != 2:
        raise ParseError(
            dataset, file, f"sheet {sheet_name!r} has {filled.shape[1]} filled columns; expected 2 (old code, new code)"
        )
    header = cell_text(filled.iloc[0])
    body = filled.iloc[1:]
    rows = pd.Series(body.index + 1, index=body.index)
    from_nis, to_nis = cell_text(body.iloc[:, 0]), cell_text(body.iloc[:, 1])
    empty = (from_nis == "") & (to_nis == "")
    from_nis, to_nis, rows = from_nis[~empty], to_nis[~empty], rows[~empty]
    if from_nis.empty:
        raise ParseError(dataset, file, f"sheet {sheet_name!r} has a header but no rows")
    fail = partial(refuse_first, rows=rows, dataset=dataset, file=file)
    for codes, label in ((from_nis, header.iloc[0]), (to_nis, header.iloc[1])):
        fail(~codes.str.fullmatch(r"\d{3,5}"), codes, "a NIS code", column=label)
    fail(from_nis.duplicated(), from_nis, "each old code once", column=header.iloc[0])
    result = pd.DataFrame(
        {"from_nis": from_nis.to_numpy(), "to_nis": to_nis.to_numpy()}, dtype="string"
    )
    result.attrs.update({"from_label": header.iloc[0], "to_label": header.iloc[1], "sheet": sheet_name})
    return result


def _only_sheet(path: Path, *, dataset: str) -> tuple[pd.DataFrame, str]:
    try:
        names = python_calamine.CalamineWorkbook.from_path(str(path)).sheet_names
    except Exception as exc:  # calamine raises its own error types for every broken file
        problem = f"cannot be read as an Excel workbook ({type(exc).__name__}: {exc})"
        raise ParseError(dataset, path.name, problem) from exc
    if not names:
        raise ParseError(dataset, path.name, "the workbook has no sheet")
    return read_sheet(path, dataset=dataset, sheet_names=names[:1])


# Reference frames, not canonical ones, so nothing for the canonical registry; the catalog's
# layout ids for these files map here.
LAYOUTS: dict[str, object] = {}
REFERENCE_LAYOUTS = {"statbel_refnis": parse_refnis_list, "pinc_crosswalk": parse_crosswalk_workbook}


# Signatures of the two reference layouts.
_REFNIS_COLUMNS = ("LVL_REFNIS", "CD_REFNIS", "DT_VLDT_START", "DT_VLDT_END")
# PinC names a Belgium-wide map `gemeentenbe<year>` (the current one plain `gemeentenbe`); its
# `gemeente<year>` tables cover Flanders and Brussels only and are not the national crosswalks.
_NATIONAL_MAP = re.compile(r"^gemeentenbe(\d{4})?$")


def _check_refnis(head: FileHead) -> str | None:
    header = statbel_header(head, "TU_COM_REFNIS")
    if isinstance(header, str):
        return header
    return require_columns(header, *((c,) for c in _REFNIS_COLUMNS), what="the TU_COM_REFNIS code list")


def _crosswalk_header(head: FileHead) -> list[str] | str:
    if not head.sheet_names:
        return head.workbook_problem or "the workbook has no sheet"
    rows = head.rows(head.sheet_names[0])
    first = [str(c).strip() for c in rows[0] if str(c).strip()] if rows else []
    if len(first) != 2:
        return f"the first row of sheet {head.sheet_names[0]!r} has {len(first)} filled cells; a crosswalk has 2"
    if not all(_NATIONAL_MAP.match(normalise_label(c)) for c in first):
        return (
            f"its header {' | '.join(first)!r} is not a Belgium-wide PinC crosswalk (gemeentenbe<year> | "
            "gemeentenbe…)"
        )
    return first


SIGNATURES = {
    "statbel_refnis": Signature(kinds=frozenset({"zip", "text"}), check=_check_refnis),
    "pinc_crosswalk": Signature.of_header(frozenset({"xlsx"}), _crosswalk_header),
}
