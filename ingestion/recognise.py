"""What a file is: its layout from its content, then its catalog entry and year.

1. Layout. Every layout's signature (:func:`ingestion.parsers.signatures`) looks at the file's
   head (:class:`~ingestion.filehead.FileHead`); exactly one must match. Two matches are an
   error naming both. When none matches, a file whose NAME is a catalog file name is taken as that
   entry (``basis="name"``), so that a broken download under its publisher's name is archived or
   refused for what it is and its parser says precisely what is wrong; otherwise the file is
   unmatched, with each layout's reason.
2. Catalog entry, among the entries with that layout: the datasets the content belongs to (a
   canonical CSV's measures, a Swing file's labels), the entry's ``signature`` (labels, zip
   member), the kind of file (an .xls or an .xlsx entry), an entry with a signature over one
   without, the dataset asked for, then the name as a hint. Two entries left are an error naming
   both.
3. Year, for a one-file-per-year entry: what the content states (CD_YEAR, a zip member's name, a
   workbook title), else the name; statements that disagree, or no year at all, are errors.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ingestion.catalog import Catalog, FileSpec
from ingestion.errors import RecognitionError, UnmatchedFileError
from ingestion.filehead import FileHead
from ingestion.labels import label_key
from ingestion.parsers import signatures
from ingestion.signature import Signature, Year

_YEAR_IN_NAME = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")


@dataclass(frozen=True)
class LayoutVerdict:
    """Whether a file has one layout's signature: ``reason`` None when it has, else why not.
    ``other_kind``: the layout reads another kind of file (a workbook, a zip, a text)."""

    layout: str
    reason: str | None
    other_kind: bool = False

    def line(self) -> str:
        return f"{self.layout}: {'matches' if self.reason is None else self.reason}"


@dataclass(frozen=True)
class Recognition:
    """A file and the catalog entry it is. ``basis``: ``content`` (its layout's signature),
    ``name`` (no signature matched, the name is a catalog file name) or ``dataset`` (no signature
    matched, and the dataset asked for has one file only)."""

    path: Path
    name: str
    kind: str
    spec: FileSpec
    year: int | None
    basis: str
    verdicts: tuple[LayoutVerdict, ...]
    year_from: str | None = None  # where the year was read

    @property
    def layout(self) -> str:
        return self.spec.layout

    @property
    def dataset(self) -> str:
        return self.spec.dataset

    def describe(self) -> str:
        """``statbel_population/pop_struct (layout statbel_pop_struct, year 2015 from CD_YEAR (row 2))``"""
        facts = [f"layout {self.layout}"]
        if self.year is not None:
            facts.append(f"year {self.year}" + (f" from {self.year_from}" if self.year_from else ""))
        if self.basis != "content":
            facts.append(f"recognised by its {self.basis} only: {self.content_reason()}")
        return f"{self.spec.label} ({', '.join(facts)})"

    def content_reason(self) -> str:
        """Why the content does not have the signature of the entry's layout ('' when it has)."""
        return next((v.reason or "" for v in self.verdicts if v.layout == self.layout), "")


def sniff(head: FileHead, layouts: Iterable[str] | None = None) -> tuple[LayoutVerdict, ...]:
    """Each layout's verdict on the file, by layout id."""
    known = signatures()
    wanted = sorted(known) if layouts is None else sorted(layouts)
    return tuple(
        LayoutVerdict(layout, known[layout].sniff(head), other_kind=not known[layout].kind_fits(head))
        for layout in wanted
    )


def unmatched_lines(verdicts: Sequence[LayoutVerdict], kind_name: str) -> list[str]:
    """The reasons a user needs: each layout that reads this kind of file, the others counted."""
    same = [v.line() for v in verdicts if not v.other_kind]
    others = sum(1 for v in verdicts if v.other_kind)
    if others:
        same.append(f"({others} layout(s) expect another kind of file than {kind_name})")
    return same


def recognise(
    path: str | Path,
    catalog: Catalog,
    *,
    name: str | None = None,
    dataset: str | None = None,
    year: int | None = None,
) -> Recognition:
    """The catalog entry (and year) of the file at ``path``; ``name`` is its own name (defaults
    to the path's), ``dataset`` the dataset asked for (it settles a tie), ``year`` a year the user
    gives (it must agree with the content). Raises :class:`RecognitionError` (two layouts or
    entries, years that disagree, no year) or :class:`UnmatchedFileError`."""
    head = FileHead(path, name=name)
    verdicts = sniff(head)
    matched = [v.layout for v in verdicts if v.reason is None]
    if dataset is not None and len(matched) > 1:
        own = {spec.layout for spec in catalog.files(dataset)}
        matched = [layout for layout in matched if layout in own] or matched
    if len(matched) > 1:
        raise RecognitionError(
            head.name,
            f"{head.kind_name} with the signatures of {len(matched)} layouts, {' and '.join(matched)}; it cannot be "
            "told which it is (check it with: cohesion parse DATASET FILE)",
            verdicts=verdicts, kind=head.kind,
        )
    if matched:
        spec = _entry(head, catalog, matched[0], dataset, verdicts)
        basis = "content"
    else:
        spec, basis = _by_name(head, catalog, dataset, verdicts)
    found_year, year_from = _year(head, spec, basis, year, verdicts)
    return Recognition(head.path, head.name, head.kind, spec, found_year, basis, verdicts, year_from)


# --- the catalog entry ------------------------------------------------------------------------


def _entry(
    head: FileHead, catalog: Catalog, layout: str, dataset: str | None, verdicts: tuple[LayoutVerdict, ...]
) -> FileSpec:
    signature = signatures()[layout]
    candidates = [spec for spec in catalog.files() if spec.layout == layout]
    excluded: dict[str, str] = {}

    def keep(specs: list[FileSpec], why: str) -> list[FileSpec]:
        for spec in candidates:
            if spec not in specs:
                excluded.setdefault(spec.label, why)
        return specs

    owners = signature.datasets(head) if signature.datasets else None
    if owners is not None:
        candidates = keep([s for s in candidates if s.dataset in owners],
                          f"its content belongs to {', '.join(sorted(owners)) or 'no dataset'}")
    labels = {label_key(x) for x in signature.labels(head)} if signature.labels else set()
    fitting = []
    for spec in candidates:
        why = _signature_problem(spec, head, labels)
        if why is None:
            fitting.append(spec)
        else:
            excluded.setdefault(spec.label, why)
    candidates = fitting
    same_kind = [s for s in candidates if s.kind == head.kind]
    if same_kind:
        candidates = keep(same_kind, f"it is {head.kind_name}")
    with_signature = [s for s in candidates if s.signature is not None]
    if with_signature:
        candidates = keep(with_signature, "an entry with a matching signature is more specific")
    if dataset is not None and len(candidates) > 1:
        candidates = [s for s in candidates if s.dataset == dataset] or candidates
    if len(candidates) > 1:
        named = [s for s in candidates if name_matches(s, head.name)]
        if len(named) == 1:
            candidates = named
    if not candidates:
        reasons = "; ".join(f"{label}: {why}" for label, why in excluded.items())
        raise UnmatchedFileError(
            head.name, f"has the layout {layout}, but no catalog entry of that layout takes it ({reasons})",
            verdicts=verdicts, kind=head.kind,
        )
    if len(candidates) > 1:
        raise RecognitionError(
            head.name,
            f"has the layout {layout} and fits {len(candidates)} catalog entries, "
            f"{' and '.join(s.label for s in candidates)}; neither its content nor its name tells which",
            verdicts=verdicts, kind=head.kind,
        )
    return candidates[0]


def _signature_problem(spec: FileSpec, head: FileHead, labels: set[str]) -> str | None:
    wanted = spec.signature
    if wanted is None:
        return None
    missing = [x for x in wanted.labels if label_key(x) not in labels]
    if missing:
        return f"needs the label(s) {', '.join(repr(x) for x in missing)}"
    if wanted.member is not None:
        pattern = wanted.member.lower()
        if not any(fnmatch.fnmatchcase(PurePosixPath(m).name.lower(), pattern) for m in head.members):
            return f"needs a zip member named {wanted.member!r}"
    return None


def name_matches(spec: FileSpec, name: str) -> bool:
    """Whether ``name`` is the entry's file name, ignoring case and, for an unzipped or re-saved
    copy, the extension."""
    if spec.match(name)[0]:
        return True
    stem, suffix = Path(name).stem, Path(spec.filename).suffix
    return spec.match(stem + suffix)[0]


def _by_name(
    head: FileHead, catalog: Catalog, dataset: str | None, verdicts: tuple[LayoutVerdict, ...]
) -> tuple[FileSpec, str]:
    specs = catalog.files(dataset)
    named = [s for s in specs if s.match(head.name)[0]]
    if len(named) == 1:
        return named[0], "name"
    if dataset is not None and len(specs) == 1:
        return specs[0], "dataset"
    scope = f"none of the {len(verdicts)} layouts"
    raise UnmatchedFileError(head.name, f"{head.kind_name} that matches {scope}", verdicts=verdicts, kind=head.kind)


# --- the year ---------------------------------------------------------------------------------


def _year(
    head: FileHead, spec: FileSpec, basis: str, given: int | None, verdicts: tuple[LayoutVerdict, ...]
) -> tuple[int | None, str | None]:
    if not spec.per_year:
        # A file of many years: --year only selects one of them, and its parser checks it.
        return (given, "--year") if given is not None else (None, None)
    signature: Signature = signatures()[spec.layout]
    statements: list[Year] = list(signature.year(head)) if signature.year and basis == "content" else []
    matched, in_name = spec.match(head.name)
    if matched and in_name is not None:
        statements.append(Year(in_name, "the file name"))
    elif not statements:
        years = sorted(set(_YEAR_IN_NAME.findall(Path(head.name).stem)))
        if len(years) == 1:
            statements.append(Year(int(years[0]), "the file name"))
    if given is not None:
        statements.append(Year(given, "--year"))
    if not statements:
        raise RecognitionError(
            head.name,
            f"is {spec.label}, one file per year ({spec.filename}), but neither its content nor its name says which "
            "year; name it as the publisher does, or give the year (cohesion parse --year)",
            verdicts=verdicts, kind=head.kind, spec=spec,
        )
    first = statements[0]
    for other in statements[1:]:
        if other.year != first.year:
            raise RecognitionError(
                head.name,
                f"is {spec.label}, but {first.where} says {first.year} and {other.where} says {other.year}",
                verdicts=verdicts, kind=head.kind, spec=spec,
            )
    return first.year, first.where
