"""A commune's index and its place in the fund, in sentences, from an open release file: what
`cohesion explain CODE` prints and what the site's commune pages say, word for word. A former code
(a commune merged or renumbered in 2019 or 2025) is explained as the commune it became, and says
so. No Dagster here.

:class:`ReleaseTexts` reads what the sentences need from the release once (a few small tables),
so that the command (one commune) and the site (565 communes in three languages) build them with
the same code and without a query per sentence.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from ingestion.errors import CohesionError

LANGS = ("fr", "nl", "en")
_FORMER = {
    "merger": {
        "en": "{code} ({name}) is no longer a commune code: it merged into {new} {new_name} on {date}; its figures are in {new_name}'s.",
        "fr": "{code} ({name}) n'est plus un code de commune : elle a fusionné dans {new} {new_name} le {date} ; ses chiffres sont dans ceux de {new_name}.",
        "nl": "{code} ({name}) is geen gemeentecode meer: de gemeente fuseerde op {date} met {new} {new_name}; haar cijfers zitten in die van {new_name}.",
    },
    "renumbering": {
        "en": "{code} ({name}) is no longer a commune code: the commune was renumbered {new} on {date}.",
        "fr": "{code} ({name}) n'est plus un code de commune : la commune a été renumérotée {new} le {date}.",
        "nl": "{code} ({name}) is geen gemeentecode meer: de gemeente kreeg op {date} het nummer {new}.",
    },
}
_MONTHS = {
    "fr": "janvier", "nl": "januari", "en": "January",
}
_FUND = {
    "en": ("Local cohesion fund {year}: ", "The fund is not computed for {year}: {reason}"),
    "fr": ("Fonds local de cohésion {year} : ", "Le fonds n'est pas calculé pour {year} : {reason}"),
    "nl": ("Lokaal cohesiefonds {year}: ", "Het fonds is niet berekend voor {year}: {reason}"),
}
_GERMAN = {"en": "German name", "fr": "nom allemand", "nl": "Duitse naam"}


def _date(value, lang: str) -> str:
    # The map changed on 1 January only (2019, 2025).
    day = "1er" if lang == "fr" else "1"
    return f"{day} {_MONTHS[lang]} {value.year}" if value.month == 1 and value.day == 1 else value.isoformat()


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(con.execute("select 1 from information_schema.tables where table_name = ?", [name]).fetchall())


@dataclass
class ReleaseTexts:
    """What the explanation sentences are made of, read from an open release file."""

    names: dict[str, tuple[str, str, str | None]]  # nis_code -> (name_fr, name_nl, name_de)
    former: dict[str, tuple]  # former code -> (name_fr, name_nl, new code, new name_fr, new name_nl, change, date)
    explanations: dict[tuple[str, int, str], str]  # (nis_code, year, lang) -> text
    unpublished: dict[int, str]  # index edition year (BE) without an edition -> why
    fund_reasons: dict[tuple[str, int], tuple[str, str, str]] = field(default_factory=dict)  # -> (en, fr, nl)
    fund_missing: dict[int, str | None] = field(default_factory=dict)  # fund year not computed -> why
    has_fund: bool = False
    release: tuple[str, str] = ("", "")  # release_id, data_origin

    @classmethod
    def read(cls, con: duckdb.DuckDBPyConnection) -> ReleaseTexts:
        def rows(sql: str) -> list[tuple]:
            return con.execute(sql).fetchall()

        has_fund = _has_table(con, "fund_transitions")
        return cls(
            names={code: (fr, nl, de) for code, fr, nl, de in rows("select nis_code, name_fr, name_nl, name_de from communes")},
            former={
                r[0]: r[1:]
                for r in rows(
                    "select f.former_code, f.former_name_fr, f.former_name_nl, f.nis_code, c.name_fr, c.name_nl, f.change, "
                    "f.effective_date from former_communes f join communes c using (nis_code)"
                )
            } if _has_table(con, "former_communes") else {},
            explanations={
                (code, year, lang): text
                for code, year, lang, text in rows("select nis_code, year, lang, text from cohesion_index_explanations")
            },
            unpublished=dict(rows("select year, reason from index_editions where scope = 'BE' and not published"))
            if _has_table(con, "index_editions") else {},
            fund_reasons={
                (code, year): (en, fr, nl)
                for code, year, en, fr, nl in rows("select nis_code, year, reason, reason_fr, reason_nl from fund_transitions")
            } if has_fund else {},
            fund_missing=dict(rows("select year, reason from fund_editions")) if _has_table(con, "fund_editions") else {},
            has_fund=has_fund,
            release=rows("select release_id, data_origin from _release")[0],
        )

    def years(self, code: str) -> list[int]:
        if not hasattr(self, "_years"):  # built on first use: one pass over every explanation
            self._years: dict[str, list[int]] = {}
            for c, year, _ in sorted(self.explanations):
                if year not in self._years.setdefault(c, []):
                    self._years[c].append(year)
        return self._years.get(code, [])

    def lines(self, code: str, *, year: int | None = None, lang: str = "fr") -> list[str]:
        """The lines `cohesion explain` prints."""
        lines: list[str] = []
        found = self.names.get(code)
        if found is None and code in self.former:
            name_fr, name_nl, new, new_fr, new_nl, change, date = self.former[code]
            name, new_name = (name_nl, new_nl) if lang == "nl" else (name_fr, new_fr)
            lines.append(_FORMER[change][lang].format(code=code, name=name, new=new, new_name=new_name, date=_date(date, lang)))
            code = new
            found = self.names.get(code)
        if found is None:
            raise CohesionError(
                f"{code!r} is neither a commune of the 565 map nor a former commune code "
                "(codes are 5 digits, e.g. 21013; `select * from former_communes` lists the old ones)"
            )
        years = self.years(code)
        year = year or (years[-1] if years else None)
        if year not in years:
            why = self.unpublished.get(year)
            because = f": {why}" if why else ""
            raise CohesionError(
                f"no index edition for {year}{because}; editions in this release: {years or 'none'}"
                if why or not years
                else f"no explanation for {code} in {year}; years available: {years}"
            )
        name_de = found[2]
        if name_de and name_de not in found[:2]:
            lines.append(f"({_GERMAN[lang]}: {name_de})")
        lines.append(self.explanations[(code, year, lang)])
        lines.extend(self._fund_lines(code, year, lang))
        release_id, origin = self.release
        lines.append(f"(release {release_id}, {origin})")
        return lines

    def _fund_lines(self, code: str, year: int, lang: str) -> list[str]:
        """The commune's status in the fund that year and what it is paid, with the reason; or why
        the fund has no such year."""
        if not self.has_fund:
            return []
        heading, missing = _FUND[lang]
        reason = self.fund_reasons.get((code, year))
        if reason:
            return [heading.format(year=year) + reason[("en", "fr", "nl").index(lang)]]
        why = self.fund_missing.get(year)
        return [missing.format(year=year, reason=why or "—")]


def explanation_lines(con: duckdb.DuckDBPyConnection, code: str, *, year: int | None = None, lang: str = "fr") -> list[str]:
    """The lines `cohesion explain` prints, from an open release file (read-only)."""
    return ReleaseTexts.read(con).lines(code, year=year, lang=lang)
