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
# The fund under method 2 (METHOD.md 4): the band, the probability, the amount's spread, the
# nearest threshold. Numbers are the published columns', printed the way each language writes them.
_FUND2 = {
    "en": {
        "band": "Band: {share} of its full share (gate A {a}, gate B {b}).",
        "band_out": "Band: outside the gates, no share.",
        "probability": "Probability of eligibility over the draws: {p} (gate A {pa}, gate B {pb}){borderline}.",
        "borderline": "; borderline ({gate})",
        "spread": "Formula grant across the draws: {p05} (5th percentile), {p50} (median), {p95} (95th percentile).",
        "nearest_a": "Nearest threshold: gate A, {value} arrivals per 1,000 inhabitants over three years against {threshold}, {distance}.",
        "nearest_b": "Nearest threshold: gate B, index rank {rank} against a cut-off rank of {cutoff}, {distance}.",
        "inside": "{d} band widths inside",
        "short": "{d} band widths short",
        "gates": {"gate_a": "gate A", "gate_b": "gate B", "both": "both gates"},
    },
    "fr": {
        "band": "Bande : {share} de sa part pleine (critère A {a}, critère B {b}).",
        "band_out": "Bande : hors des critères, aucune part.",
        "probability": "Probabilité d'éligibilité sur les tirages : {p} (critère A {pa}, critère B {pb}){borderline}.",
        "borderline": " ; cas limite ({gate})",
        "spread": "Dotation sur les tirages : {p05} (5e centile), {p50} (médiane), {p95} (95e centile).",
        "nearest_a": "Seuil le plus proche : critère A, {value} arrivées pour 1 000 habitants sur trois ans pour {threshold}, {distance}.",
        "nearest_b": "Seuil le plus proche : critère B, rang {rank} à l'indice pour un rang limite de {cutoff}, {distance}.",
        "inside": "{d} largeurs de bande à l'intérieur",
        "short": "à {d} largeurs de bande",
        "gates": {"gate_a": "critère A", "gate_b": "critère B", "both": "les deux critères"},
    },
    "nl": {
        "band": "Band: {share} van het volle aandeel (criterium A {a}, criterium B {b}).",
        "band_out": "Band: buiten de criteria, geen aandeel.",
        "probability": "Kans op subsidiabiliteit over de trekkingen: {p} (criterium A {pa}, criterium B {pb}){borderline}.",
        "borderline": "; grensgeval ({gate})",
        "spread": "Formulebedrag over de trekkingen: {p05} (5e percentiel), {p50} (mediaan), {p95} (95e percentiel).",
        "nearest_a": "Dichtste drempel: criterium A, {value} aankomsten per 1.000 inwoners over drie jaar tegenover {threshold}, {distance}.",
        "nearest_b": "Dichtste drempel: criterium B, rang {rank} in de index tegenover een grensrang van {cutoff}, {distance}.",
        "inside": "{d} bandbreedtes binnen",
        "short": "{d} bandbreedtes tekort",
        "gates": {"gate_a": "criterium A", "gate_b": "criterium B", "both": "beide criteria"},
    },
}


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
        return [heading.format(year=year) + reason[0][0], *_fund2_lines(con, code, year, lang)]
    why = con.execute("select reason from fund_editions where year = ?", [year]).fetchall() if _has_table(con, "fund_editions") else []
    return [missing.format(year=year, reason=why[0][0] if why and why[0][0] else "—")]


def _fund2_lines(con: duckdb.DuckDBPyConnection, code: str, year: int, lang: str) -> list[str]:
    """The commune's band position, probability (borderline and through which gate), the spread of
    its formula grant across the draws, and its nearest threshold; nothing from a release made
    before these columns existed."""
    from cohesion_kernels.fund_reasons import band_share, money, number, percent

    columns = {c for (c,) in con.execute(
        "select column_name from information_schema.columns where table_name = 'fund_eligibility'"
    ).fetchall()}
    if "nearest_gate" not in columns:
        return []
    row = con.execute(
        "select e.band_factor, e.gate_a_band_factor, e.gate_b_band_factor, e.eligibility_probability, "
        "e.gate_a_probability, e.gate_b_probability, e.borderline, e.borderline_gate, e.nearest_gate, "
        "e.nearest_gate_position, e.gate_a_value, e.gate_a_threshold, e.gate_b_value, e.gate_b_threshold, "
        "t.formula_p05_cents, t.formula_p50_cents, t.formula_p95_cents "
        "from fund_eligibility e join fund_transitions t using (nis_code, year) where nis_code = ? and year = ?",
        [code, year],
    ).df()
    if row.empty:
        return []
    r = row.iloc[0]
    t = _FUND2[lang]
    lines = []
    if r["band_factor"] > 0:
        lines.append(t["band"].format(
            share=percent(band_share(r["band_factor"]), lang),
            a=percent(band_share(r["gate_a_band_factor"]), lang),
            b=percent(band_share(r["gate_b_band_factor"]), lang),
        ))
    else:
        lines.append(t["band_out"])
    if r["eligibility_probability"] == r["eligibility_probability"]:
        borderline = t["borderline"].format(gate=t["gates"][r["borderline_gate"]]) if r["borderline"] else ""
        lines.append(t["probability"].format(
            p=percent(r["eligibility_probability"], lang),
            pa=percent(r["gate_a_probability"], lang),
            pb=percent(r["gate_b_probability"], lang),
            borderline=borderline,
        ))
    if r["formula_p50_cents"] == r["formula_p50_cents"] and r["formula_p50_cents"] is not None:
        lines.append(t["spread"].format(
            p05=money(r["formula_p05_cents"], lang), p50=money(r["formula_p50_cents"], lang), p95=money(r["formula_p95_cents"], lang)
        ))
    if r["nearest_gate"] in ("gate_a", "gate_b"):
        position = float(r["nearest_gate_position"])
        distance = t["inside" if position >= 0 else "short"].format(d=number(abs(position), 2, lang))
        if r["nearest_gate"] == "gate_a":
            lines.append(t["nearest_a"].format(
                value=number(r["gate_a_value"], 1, lang), threshold=number(r["gate_a_threshold"], 1, lang), distance=distance
            ))
        else:
            lines.append(t["nearest_b"].format(
                rank=number(r["gate_b_value"], 0, lang), cutoff=number(r["gate_b_threshold"], 0, lang), distance=distance
            ))
    return lines
