"""Byte-reproducible containers for the synthetic sample: zip archives and a minimal xlsx writer.

Same input, same bytes: zip members carry a fixed timestamp and fixed attributes, workbook
properties a fixed date, and numbers are written with Python's shortest round-trip repr. The
xlsx writer produces plain SpreadsheetML (shared strings, one number format `#,##0`, merged
cells, column widths, formulas with cached values), which Excel, openpyxl and calamine read.
It exists because xlsxwriter's per-cell overhead made the sample's ~600,000 cells take about
five seconds; this is several times faster.
"""

from __future__ import annotations

import math
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from numbers import Integral, Real
from pathlib import Path
from xml.sax.saxutils import escape

from ingestion.files import column_letter

# Excel stamps every member of an xlsx with 1 January 1980; we do the same for every zip.
ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
# Built-in number format 3 is `#,##0`: the format of Statbel's counts and prices.
_THOUSANDS_FORMAT_ID = 3


def write_zip(path: Path, members: Iterable[tuple[str, bytes]], *, level: int = 6) -> None:
    """A deflated zip whose bytes depend only on the members' names and contents."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0  # otherwise the platform decides
            info.external_attr = 0
            archive.writestr(info, data, compresslevel=level)


def write_zip_stream(path: Path, name: str, chunks: Iterable[bytes], *, level: int = 6) -> None:
    """:func:`write_zip` of one member whose bytes arrive in ``chunks``: never held whole. The
    same bytes as write_zip of their concatenation (zlib's output does not depend on how its
    input is cut, and the sizes and CRC are written back into the header, as writestr does)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo(name, date_time=ZIP_DATE_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.create_system = 0  # otherwise the platform decides
        info.external_attr = 0
        # What writestr(..., compresslevel=level) sets; open() takes the level from here only.
        info._compresslevel = level
        with archive.open(info, mode="w") as member:
            for chunk in chunks:
                member.write(chunk)


_LETTERS = [column_letter(i) for i in range(702)]  # A..ZZ


@dataclass(frozen=True)
class Formula:
    """A formula (without the leading `=`) and the value Excel would have cached for it."""

    text: str
    cached: float


def _number(value: Real) -> str:
    if isinstance(value, Integral):
        return str(int(value))
    return repr(float(value))


class Sheet:
    """One worksheet, filled row by row from the top."""

    def __init__(
        self,
        book: XlsxBook,
        name: str,
        *,
        widths: Mapping[int, float] | None = None,
        merges: Sequence[str] = (),
    ) -> None:
        if len(name) > 31 or any(ch in name for ch in "[]:*?/\\"):
            raise ValueError(f"{name!r} is not a valid Excel sheet name")
        self.name = name
        self._book = book
        self._widths = dict(widths or {})
        self._merges = tuple(merges)
        self._rows: list[str] = []
        self._width = 1

    def append(self, values: Sequence[object], *, formatted: frozenset[int] = frozenset()) -> None:
        """Add the next row. ``None`` leaves a cell empty; text goes to the shared strings;
        numbers in the ``formatted`` columns get the `#,##0` format."""
        number = len(self._rows) + 1
        shared = self._book.shared
        cells = []
        for col, value in enumerate(values):
            if value is None:
                continue
            kind = type(value)  # exact types first: the ABC checks below cost more than the rest
            if kind is str:
                cells.append(f'<c r="{_LETTERS[col]}{number}" t="s"><v>{shared(value)}</v></c>')
                continue
            if kind is int:
                text = str(value)
            elif kind is float:
                if not math.isfinite(value):
                    raise ValueError(f"sheet {self.name!r} row {number}: {value} cannot be written as a number")
                text = repr(value)
            elif kind is Formula:
                formula = f"<f>{escape(value.text)}</f><v>{_number(value.cached)}</v>"
                cells.append(f'<c r="{_LETTERS[col]}{number}">{formula}</c>')
                continue
            elif isinstance(value, Real) and not isinstance(value, bool):
                text = _number(value)
            else:
                raise TypeError(f"cannot write {value!r} ({kind.__name__}) to sheet {self.name!r} row {number}")
            style = ' s="1"' if col in formatted else ""
            cells.append(f'<c r="{_LETTERS[col]}{number}"{style}><v>{text}</v></c>')
        self._width = max(self._width, len(values))
        self._rows.append(f'<row r="{number}">{"".join(cells)}</row>')

    def xml(self) -> bytes:
        last = f"{column_letter(self._width - 1)}{max(len(self._rows), 1)}"
        cols = "".join(
            f'<col min="{c + 1}" max="{c + 1}" width="{w}" customWidth="1"/>' for c, w in sorted(self._widths.items())
        )
        merges = "".join(f'<mergeCell ref="{m}"/>' for m in self._merges)
        parts = [
            _XML_HEAD,
            f'<worksheet xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">',
            f'<dimension ref="A1:{last}"/>',
            '<sheetViews><sheetView workbookViewId="0"/></sheetViews>',
            '<sheetFormatPr defaultRowHeight="15"/>',
            f"<cols>{cols}</cols>" if cols else "",
            "<sheetData>",
            *self._rows,
            "</sheetData>",
            f'<mergeCells count="{len(self._merges)}">{merges}</mergeCells>' if merges else "",
            '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>',
            "</worksheet>",
        ]
        return "".join(parts).encode("utf-8")


class XlsxBook:
    """A workbook of plain sheets; :meth:`save` writes it reproducibly."""

    def __init__(self, *, created: datetime, creator: str, title: str) -> None:
        self._created = created
        self._creator = creator
        self._title = title
        self._sheets: list[Sheet] = []
        self._strings: dict[str, int] = {}

    def add_sheet(
        self, name: str, *, widths: Mapping[int, float] | None = None, merges: Sequence[str] = ()
    ) -> Sheet:
        if any(s.name == name for s in self._sheets):
            raise ValueError(f"sheet {name!r} already exists")
        sheet = Sheet(self, name, widths=widths, merges=merges)
        self._sheets.append(sheet)
        return sheet

    def shared(self, text: str) -> int:
        index = self._strings.get(text)
        if index is None:
            index = self._strings[text] = len(self._strings)
        return index

    def save(self, path: Path) -> None:
        if not self._sheets:
            raise ValueError("a workbook needs at least one sheet")
        sheet_xml = [s.xml() for s in self._sheets]  # fills the shared strings first
        members = [
            ("[Content_Types].xml", self._content_types()),
            ("_rels/.rels", self._package_rels()),
            ("docProps/app.xml", self._app()),
            ("docProps/core.xml", self._core()),
            ("xl/workbook.xml", self._workbook()),
            ("xl/_rels/workbook.xml.rels", self._workbook_rels()),
            ("xl/styles.xml", _STYLES.encode("utf-8")),
            ("xl/sharedStrings.xml", self._shared_strings()),
            *((f"xl/worksheets/sheet{i}.xml", xml) for i, xml in enumerate(sheet_xml, start=1)),
        ]
        write_zip(path, members)

    def _content_types(self) -> bytes:
        sheets = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i in range(1, len(self._sheets) + 1)
        )
        return (
            _XML_HEAD
            + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            f"{sheets}"
            '<Override PartName="/xl/styles.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
            '<Override PartName="/docProps/core.xml" '
            'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
            '<Override PartName="/docProps/app.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
            "</Types>"
        ).encode("utf-8")

    def _package_rels(self) -> bytes:
        base = "http://schemas.openxmlformats.org"
        return (
            _XML_HEAD
            + f'<Relationships xmlns="{_PKG_REL_NS}">'
            f'<Relationship Id="rId1" Type="{base}/officeDocument/2006/relationships/officeDocument" '
            'Target="xl/workbook.xml"/>'
            f'<Relationship Id="rId2" Type="{base}/package/2006/relationships/metadata/core-properties" '
            'Target="docProps/core.xml"/>'
            f'<Relationship Id="rId3" Type="{base}/officeDocument/2006/relationships/extended-properties" '
            'Target="docProps/app.xml"/>'
            "</Relationships>"
        ).encode("utf-8")

    def _core(self) -> bytes:
        stamp = self._created.strftime("%Y-%m-%dT%H:%M:%SZ")
        return (
            _XML_HEAD
            + '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f"<dc:title>{escape(self._title)}</dc:title>"
            f"<dc:creator>{escape(self._creator)}</dc:creator>"
            f"<cp:lastModifiedBy>{escape(self._creator)}</cp:lastModifiedBy>"
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
            "</cp:coreProperties>"
        ).encode("utf-8")

    def _app(self) -> bytes:
        return (
            _XML_HEAD
            + '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
            "<Application>cohesion-warehouse sample generator</Application></Properties>"
        ).encode("utf-8")

    def _workbook(self) -> bytes:
        sheets = "".join(
            f'<sheet name="{escape(s.name, {chr(34): "&quot;"})}" sheetId="{i}" r:id="rId{i}"/>'
            for i, s in enumerate(self._sheets, start=1)
        )
        return (
            _XML_HEAD + f'<workbook xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">'
            '<bookViews><workbookView/></bookViews>'
            f"<sheets>{sheets}</sheets></workbook>"
        ).encode("utf-8")

    def _workbook_rels(self) -> bytes:
        base = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
        n = len(self._sheets)
        rels = "".join(
            f'<Relationship Id="rId{i}" Type="{base}/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, n + 1)
        )
        rels += f'<Relationship Id="rId{n + 1}" Type="{base}/styles" Target="styles.xml"/>'
        rels += f'<Relationship Id="rId{n + 2}" Type="{base}/sharedStrings" Target="sharedStrings.xml"/>'
        return (_XML_HEAD + f'<Relationships xmlns="{_PKG_REL_NS}">{rels}</Relationships>').encode("utf-8")

    def _shared_strings(self) -> bytes:
        items = []
        for text in self._strings:  # insertion order = index order
            space = ' xml:space="preserve"' if text != text.strip() or "\n" in text else ""
            items.append(f"<si><t{space}>{escape(text)}</t></si>")
        count = len(self._strings)
        return (
            _XML_HEAD + f'<sst xmlns="{_MAIN_NS}" count="{count}" uniqueCount="{count}">{"".join(items)}</sst>'
        ).encode("utf-8")


_STYLES = (
    _XML_HEAD
    + f'<styleSheet xmlns="{_MAIN_NS}">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    f'<xf numFmtId="{_THOUSANDS_FORMAT_ID}" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
