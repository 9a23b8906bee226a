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


@dataclass
class ReleaseTexts:
    """What the explanation sentences are made of, read from an open release file."""

    names: dict[str, tuple[str, str, str | None]]  # nis_code -> (name_fr, name_nl, name_de)
    former: dict[str, tuple]  # former code -> (name_fr, name_nl, new code, new name_fr, new name_nl, change, date)
    explanations: dict[tuple[str, int, str], str]  # (nis_code, year, lang) -> text
    unpublished: dict[int, str]  # index edition year (BE) without an edition -> why
    fund_reasons: dict[tuple[str, int], tuple[str, str, str]] = field(default_factory=dict)  # -> (en, fr, nl)
    fund_missing: dict[int, str | None] = field(default_factory=dict)  # fund year not computed -> why
    # (nis_code, year) -> method 2's band, probabilities, spread and nearest gate (releases since rules 2026.1)
    fund_method2: dict[tuple[str, int], dict] = field(default_factory=dict)
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
            fund_method2=_fund_method2(con) if has_fund else {},
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
            lines = [heading.format(year=year) + reason[("en", "fr", "nl").index(lang)]]
            method2 = self.fund_method2.get((code, year))
            return lines + (_fund2_lines(method2, lang) if method2 is not None else [])
        why = self.fund_missing.get(year)
        return [missing.format(year=year, reason=why or "—")]


_METHOD2_COLUMNS = (
    "e.band_factor, e.gate_a_band_factor, e.gate_b_band_factor, e.eligibility_probability, e.gate_a_probability, "
    "e.gate_b_probability, e.borderline, e.borderline_gate, e.nearest_gate, e.nearest_gate_position, e.gate_a_value, "
    "e.gate_a_threshold, e.gate_b_value, e.gate_b_threshold, t.formula_p05_cents, t.formula_p50_cents, t.formula_p95_cents"
)


def _fund_method2(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, int], dict]:
    """Method 2's fund columns per commune and year; nothing from a release made before they existed."""
    columns = {c for (c,) in con.execute(
        "select column_name from information_schema.columns where table_name = 'fund_eligibility'"
    ).fetchall()}
    if "nearest_gate" not in columns:
        return {}
    frame = con.execute(
        f"select e.nis_code, e.year, {_METHOD2_COLUMNS} from fund_eligibility e "
        "join fund_transitions t using (nis_code, year)"
    ).df()
    return {(row["nis_code"], int(row["year"])): row for row in frame.to_dict("records")}


def _fund2_lines(r: dict, lang: str) -> list[str]:
    """The commune's band position, probability (borderline and through which gate), the spread of
    its formula grant across the draws, and its nearest threshold."""
    from kernels.fund_reasons import band_share, money, number, percent

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


def explanation_lines(con: duckdb.DuckDBPyConnection, code: str, *, year: int | None = None, lang: str = "fr") -> list[str]:
    """The lines `cohesion explain` prints, from an open release file (read-only)."""
    return ReleaseTexts.read(con).lines(code, year=year, lang=lang)
