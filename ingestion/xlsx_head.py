"""The first rows of each sheet of an .xlsx workbook, read without loading the sheets.

An .xlsx is a zip of XML parts. A sheet's rows are streamed from its part and the reading stops
after the rows asked for, so that recognising a 30 MB sheet (Statbel's quarterly real-estate
workbook) costs milliseconds instead of the half second a full load takes. Shared strings are
read only up to the highest index those rows use. Cells come back as calamine gives them:
text as ``str``, numbers as ``float``, booleans as ``bool``, empty cells as ``""``.
"""

from __future__ import annotations

import posixpath
import zipfile
from collections.abc import Iterator
from xml.etree.ElementTree import Element, iterparse

from ingestion.files import column_index

Cell = str | float | bool

_WORKBOOK = "xl/workbook.xml"
_WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
_SHARED_STRINGS = "xl/sharedStrings.xml"
_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_STRICT_REL_ID = "{http://purl.oclc.org/ooxml/officeDocument/relationships}id"


class XlsxError(Exception):
    """The workbook's XML parts are not what an .xlsx holds."""


def _local(tag: str) -> str:
    # Transitional and strict OOXML use different namespaces: compare local names only.
    return tag.rsplit("}", 1)[-1]


def _elements(archive: zipfile.ZipFile, member: str) -> Iterator[Element]:
    """The elements of one XML part, each when it ends."""
    try:
        with archive.open(member) as stream:
            for _, element in iterparse(stream, events=("end",)):
                yield element
    except KeyError as exc:
        raise XlsxError(f"the workbook has no part {member}") from exc
    except SyntaxError as exc:  # ElementTree's ParseError
        raise XlsxError(f"part {member} is not valid XML ({exc})") from exc


def sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> the zip member holding it, in the workbook's order."""
    targets = {}
    for element in _elements(archive, _WORKBOOK_RELS):
        if _local(element.tag) == "Relationship":
            target = element.get("Target", "")
            # Targets are relative to xl/, or absolute from the package root.
            targets[element.get("Id")] = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
                posixpath.join("xl", target)
            )
    sheets = {}
    for element in _elements(archive, _WORKBOOK):
        if _local(element.tag) == "sheet":
            rel = element.get(_REL_ID) or element.get(_STRICT_REL_ID)
            if rel in targets:
                sheets[element.get("name", "")] = targets[rel]
    return sheets


def _text(element: Element) -> str:
    """The text of an inline or shared string: its ``t`` runs, without phonetic (``rPh``) runs."""
    phonetic = {id(t) for run in element.iter() if _local(run.tag) == "rPh" for t in run.iter()}
    return "".join(
        child.text for child in element.iter() if _local(child.tag) == "t" and child.text and id(child) not in phonetic
    )


def _raw_rows(archive: zipfile.ZipFile, member: str, nrows: int) -> list[list[tuple[str, str | None]]]:
    """Up to ``nrows`` sheet rows (row 1 first, gaps filled with empty rows), each cell as its
    type and its value text (an inline string already as its text)."""
    rows: list[list[tuple[str, str | None]]] = []
    for element in _elements(archive, member):
        if _local(element.tag) != "row":
            continue
        number = int(element.get("r", len(rows) + 1))
        if number > nrows:
            break
        while len(rows) < number - 1:
            rows.append([])
        cells: list[tuple[str, str | None]] = []
        for cell in element:
            if _local(cell.tag) != "c":
                continue
            reference = cell.get("r")
            position = column_index(reference) if reference else len(cells)
            while len(cells) < position:
                cells.append(("", None))
            value = next((child.text for child in cell if _local(child.tag) == "v"), None)
            inline = next((child for child in cell if _local(child.tag) == "is"), None)
            kind = cell.get("t", "n")
            if inline is not None:
                kind, value = "inlineStr", _text(inline)
            cells.append((kind, value))
        rows.append(cells)
        element.clear()  # rows already read are not needed again
    return rows


def _shared_strings(archive: zipfile.ZipFile, needed: int) -> list[str]:
    """The first ``needed`` shared strings (all of them when there are fewer)."""
    if needed <= 0 or _SHARED_STRINGS not in archive.namelist():
        return []
    strings: list[str] = []
    for element in _elements(archive, _SHARED_STRINGS):
        if _local(element.tag) == "si":
            strings.append(_text(element))
            element.clear()
            if len(strings) >= needed:
                break
    return strings


def _value(kind: str, text: str | None, strings: list[str]) -> Cell:
    if text is None:
        return ""
    if kind == "s":
        index = int(text)
        return strings[index] if index < len(strings) else ""
    if kind in ("str", "inlineStr", "e"):
        return text
    if kind == "b":
        return text.strip() == "1"
    try:
        return float(text)
    except ValueError:
        return text


class XlsxHead:
    """Sheet names and the first rows of each sheet of one .xlsx, each read on first use."""

    def __init__(self, path: str, nrows: int) -> None:
        self.path = path
        self.nrows = nrows
        with zipfile.ZipFile(path) as archive:
            self._parts = sheet_parts(archive)
        self._strings: list[str] = []
        self._all_strings = False

    @property
    def sheet_names(self) -> tuple[str, ...]:
        return tuple(self._parts)

    def rows(self, sheet: str) -> list[list[Cell]]:
        """The first ``nrows`` rows of ``sheet`` (fewer when the sheet is shorter)."""
        with zipfile.ZipFile(self.path) as archive:
            raw = _raw_rows(archive, self._parts[sheet], self.nrows)
            needed = max((int(text) + 1 for row in raw for kind, text in row if kind == "s" and text), default=0)
            if needed > len(self._strings) and not self._all_strings:
                self._strings = _shared_strings(archive, needed)
                self._all_strings = len(self._strings) < needed
        return [[_value(kind, text, self._strings) for kind, text in row] for row in raw]
