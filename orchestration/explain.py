"""`cohesion explain CODE`: a commune's index and its place in the fund, in sentences, from the
published release (read-only). A former code (a commune merged or renumbered in 2019 or 2025)
is explained as the commune it became, and says so. No Dagster here."""

from __future__ import annotations

from pathlib import Path

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


def explain(published: Path, code: str, *, year: int | None = None, lang: str = "fr") -> list[str]:
    """The lines `cohesion explain` prints."""
    if not published.exists():
        raise CohesionError(f"no published release at {published}: run `make run` first")
    lines: list[str] = []
    with duckdb.connect(str(published), read_only=True) as con:
        found = con.execute("select name_fr, name_nl, name_de from communes where nis_code = ?", [code]).fetchall()
        if not found and _has_table(con, "former_communes"):
            former = con.execute(
                "select f.former_name_fr, f.former_name_nl, f.nis_code, c.name_fr, c.name_nl, f.change, f.effective_date "
                "from former_communes f join communes c using (nis_code) where f.former_code = ?",
                [code],
            ).fetchall()
            if former:
                name_fr, name_nl, new, new_fr, new_nl, change, date = former[0]
                name, new_name = (name_nl, new_nl) if lang == "nl" else (name_fr, new_fr)
                lines.append(_FORMER[change][lang].format(code=code, name=name, new=new, new_name=new_name, date=_date(date, lang)))
                code = new
                found = con.execute("select name_fr, name_nl, name_de from communes where nis_code = ?", [code]).fetchall()
        if not found:
            raise CohesionError(
                f"{code!r} is neither a commune of the 565 map nor a former commune code "
                "(codes are 5 digits, e.g. 21013; `select * from former_communes` lists the old ones)"
            )
        years = [y for (y,) in con.execute(
            "select distinct year from cohesion_index_explanations where nis_code = ? order by year", [code]
        ).fetchall()]
        year = year or (years[-1] if years else None)
        if year not in years:
            why = con.execute(
                "select reason from index_editions where scope = 'BE' and year = ? and not published", [year]
            ).fetchall() if _has_table(con, "index_editions") else []
            because = f": {why[0][0]}" if why else ""
            raise CohesionError(
                f"no index edition for {year}{because}; editions in this release: {years or 'none'}"
                if why or not years
                else f"no explanation for {code} in {year}; years available: {years}"
            )
        name_de = found[0][2]
        if name_de and name_de not in found[0][:2]:
            lines.append(f"({_GERMAN[lang]}: {name_de})")
        lines.append(con.execute(
            "select text from cohesion_index_explanations where nis_code = ? and year = ? and lang = ?", [code, year, lang]
        ).fetchall()[0][0])
        lines.extend(_fund_lines(con, code, year, lang))
        release_id, origin = con.execute("select release_id, data_origin from _release").fetchall()[0]
    lines.append(f"(release {release_id}, {origin})")
    return lines


def _fund_lines(con: duckdb.DuckDBPyConnection, code: str, year: int, lang: str) -> list[str]:
    """The commune's status in the fund that year and what it is paid, with the reason; or why
    the fund has no such year."""
    if not _has_table(con, "fund_transitions"):
        return []
    heading, missing = _FUND[lang]
    column = "reason" if lang == "en" else f"reason_{lang}"
    reason = con.execute(f"select {column} from fund_transitions where nis_code = ? and year = ?", [code, year]).fetchall()
    if reason:
        return [heading.format(year=year) + reason[0][0]]
    why = con.execute("select reason from fund_editions where year = ?", [year]).fetchall() if _has_table(con, "fund_editions") else []
    return [missing.format(year=year, reason=why[0][0] if why and why[0][0] else "—")]
