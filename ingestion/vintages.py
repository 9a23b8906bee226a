"""Which archived copy of each file is loaded, and why: the loader's choice, made explicit.

Per catalog file (and year, for a per-year file) the archive may hold several copies (vintages):
a publisher's restatement, a bad file and the good one handed back. The current copy is the one
supplied last: by its retrieval time, or by a later decision that supplied the same bytes again
or restored it (:class:`ingestion.archive.Decision`). A retired copy is never loaded. A copy the
catalog cannot place (a file id it no longer lists, a year outside its years) is never loaded
either, and is listed, so that an old archive cannot crash a run.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ingestion.archive import ArchiveEntry, Decision, RawArchive, entry_key
from ingestion.catalog import Catalog
from ingestion.errors import CatalogError


@dataclass(frozen=True)
class VintageChoice:
    """The copy of one file (and year) that is loaded, and what is left aside."""

    entry: ArchiveEntry
    why: str
    left_aside: tuple[str, ...] = ()  # "2025+e54404f7 (retired on ...: reason)", "2024-03-01 (older)"

    def describe(self) -> str:
        aside = f"; not loaded: {', '.join(self.left_aside)}" if self.left_aside else ""
        return f"vintage {self.entry.vintage} ({self.why}{aside})"


@dataclass(frozen=True)
class ListedEntry:
    """One archived copy and its state, for `cohesion archive list`."""

    entry: ArchiveEntry
    state: str  # current, older, retired, ignored
    note: str

    def line(self) -> str:
        e = self.entry
        year = f" {e.year}" if e.year is not None else ""
        return (
            f"{self.state:<8} {e.dataset}/{e.vintage}/{e.filename}{year}  sha256 {e.sha256[:12]}  "
            f"retrieved {e.retrieved_at}  {e.origin}" + (f"  ({self.note})" if self.note else "")
        )


@dataclass(frozen=True)
class ArchiveSelection:
    dataset: str
    choices: tuple[VintageChoice, ...]
    ignored: tuple[tuple[ArchiveEntry, str], ...]  # copies the catalog cannot place, and why

    @property
    def entries(self) -> list[ArchiveEntry]:
        return [choice.entry for choice in self.choices]


def _supplied(entry: ArchiveEntry, supplied: dict[tuple[str, str, str], Decision]) -> tuple[str, Decision | None]:
    decision = supplied.get(entry_key(entry))
    if decision is not None and decision.at > entry.retrieved_at:
        return decision.at, decision
    return entry.retrieved_at, None


def unplaceable(entry: ArchiveEntry, catalog: Catalog) -> str | None:
    """Why the catalog cannot place an archived copy (it is then never loaded), or None."""
    try:
        spec = catalog.dataset(entry.dataset).file(entry.file_id)
    except CatalogError:
        return f"the catalog has no file {entry.dataset}/{entry.file_id} any more"
    if spec.per_year and spec.years is not None and entry.year not in spec.years:
        return f"year {entry.year} is outside the catalog's years {spec.years.first}..{spec.years.last}"
    return None


def select_vintages(archive: RawArchive, catalog: Catalog, dataset: str) -> ArchiveSelection:
    """The current copy of every file (and year) of ``dataset``, with the reason it was chosen."""
    entries = archive.entries(dataset)
    retired = archive.retired()
    supplied = archive.supplied_at()
    groups: dict[tuple[str, int | None], list[ArchiveEntry]] = {}
    ignored: list[tuple[ArchiveEntry, str]] = []
    for entry in entries:
        why_not = unplaceable(entry, catalog)
        if why_not is not None:
            ignored.append((entry, why_not))
            continue
        groups.setdefault((entry.file_id, entry.year), []).append(entry)
    choices = []
    for key in sorted(groups, key=lambda k: (k[0], k[1] or 0)):
        choice = _choose(groups[key], retired, supplied)
        if choice is not None:
            choices.append(choice)
    return ArchiveSelection(dataset, tuple(choices), tuple(ignored))


def _choose(
    copies: list[ArchiveEntry], retired: dict[tuple[str, str, str], Decision], supplied: dict
) -> VintageChoice | None:
    usable = [e for e in copies if entry_key(e) not in retired]
    out = [f"{e.vintage} ({retired[entry_key(e)].describe()})" for e in copies if entry_key(e) in retired]
    if not usable:
        return None  # every copy retired: the file is not loaded at all
    ranked = sorted(usable, key=lambda e: (_supplied(e, supplied)[0], e.vintage), reverse=True)
    current, older = ranked[0], ranked[1:]
    at, decision = _supplied(current, supplied)
    if decision is not None:
        why = f"{decision.describe()}"
    elif older or out:
        why = f"the copy supplied last, retrieved {current.retrieved_at}"
    else:
        why = f"the only copy, retrieved {current.retrieved_at}"
    aside = tuple(f"{e.vintage} (supplied earlier)" for e in older) + tuple(out)
    return VintageChoice(current, why, aside)


def listing(archive: RawArchive, catalog: Catalog, datasets: Iterable[str] | None = None) -> list[ListedEntry]:
    """Every archived copy with its state: current (loaded), older, retired, or ignored."""
    retired = archive.retired()
    wanted = set(datasets) if datasets is not None else None
    listed = []
    for dataset in sorted({e.dataset for e in archive.entries()}):
        if wanted is not None and dataset not in wanted:
            continue
        selection = select_vintages(archive, catalog, dataset)
        current = {entry_key(c.entry): c for c in selection.choices}
        ignored = {entry_key(e): why for e, why in selection.ignored}
        for entry in archive.entries(dataset):
            key = entry_key(entry)
            if key in current:
                listed.append(ListedEntry(entry, "current", current[key].why))
            elif key in retired:
                listed.append(ListedEntry(entry, "retired", retired[key].describe()))
            elif key in ignored:
                listed.append(ListedEntry(entry, "ignored", f"never loaded: {ignored[key]}"))
            else:
                listed.append(ListedEntry(entry, "older", "a later copy of the same file is loaded"))
    return listed
