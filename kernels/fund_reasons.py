"""Eligibility and the fund status explained in words, in English, French and Dutch, with the
distance to each threshold in the indicator's own units ("would need 4.2 more arrivals per 1,000
inhabitants over three years", "would need 12 ranks more need").

The numbers in a sentence are the published columns' numbers: a gate-A gap is the column
``gate_a_gap`` (already rounded UP to 0.1 per 1,000, so that closing it is enough), printed with
one decimal. French uses a decimal comma and a no-break space as thousands separator and before
":" and ";"; Dutch a decimal comma and a full stop as thousands separator.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import pandas as pd

from kernels.fund_allocation import floor_cents
from kernels.fund_rules import FundRules

NBSP = "\u00a0"
LANGS: tuple[str, ...] = ("en", "fr", "nl")

_T: dict[str, dict[str, str]] = {
    "en": {
        "eligible": "Eligible: gate A met ({value} arrivals per 1,000 inhabitants over three years against a threshold of {threshold}; {count} arrivals against a minimum of {minimum}) and gate B met (index rank {rank} against a cut-off rank of {cutoff}).",
        "not": "Not eligible: ",
        "a_missing": "gate A cannot be assessed: no usable value of {indicator}",
        "a_missing_proxy": " or of its proxy {proxy}",
        "a_failed": "gate A not met: ",
        "a_rate": "would need {gap} more arrivals per 1,000 inhabitants over three years ({value} against a threshold of {threshold}{raises})",
        "a_raises": ", which its own arrivals raise",
        "a_count": "would need {k} more {arrivals} over three years ({count} against a minimum of {minimum})",
        "arrival": ("arrival", "arrivals"),
        "sep": "; ",
        "b_met_a": "gate A met; ",
        "b_missing": "gate B cannot be assessed: no index rank.",
        "b_failed": "gate B not met: would need {k} {ranks} more need (index rank {rank} against a cut-off rank of {cutoff}).",
        "rank": ("rank", "ranks"),
        "year": ("year", "years"),
        "aside_missing": " Gate B cannot be assessed: no index rank.",
        "aside_nocut": " Gate B has no cut-off: no commune passes gate A this year.",
        "aside_within": " Its index rank {rank} is within the gate-B cut-off rank of {cutoff}.",
        "aside_also": " Gate B would also need {k} {ranks} more need (index rank {rank} against a cut-off rank of {cutoff}).",
        "proxy": " Gate A used the proxy {proxy} because {indicator} has no usable value.",
        "entering": "Enters the fund this year: paid {paid} by the formula.",
        "in_fund": "In the fund: paid {paid} by the formula.",
        "staying": "Stays in the fund in grace year {k} of {n} outside the gates: paid {paid} by the formula.",
        "leaving": "Leaves the fund after {k} {years} outside the gates: paid an exit guarantee of {guarantee} ({share} of its last grant).",
        "leaving_unknown": "Leaves the fund after {k} {years} outside the gates; its last grant is not in these years, so no guarantee is computed.",
        "out": "Not in the fund: paid nothing.",
        "cap": " The amount is held at the cap: {share} of the {pool} the formula shares out.",
        "cap_budget": " The amount is held at the cap: {share} of the year's budget of {budget}.",
        "floor": " The amount is raised to the floor of {floor}.",
        "floor_band": " The amount is raised to the floor of {floor} ({share} of the floor of {full}, as its share).",
        "minimum": " The amount is raised to its hold-harmless minimum.",
        "band": " Phase-in band: it gets {share} of its full share (gate A {a}, gate B {b}).",
        "band_held": " Phase-in band: it keeps {share} of its full share, as in its last year inside the gates.",
    },
    "fr": {
        "eligible": f"Éligible{NBSP}: critère A atteint ({{value}} arrivées pour 1{NBSP}000 habitants sur trois ans pour un seuil de {{threshold}}{NBSP}; {{count}} arrivées pour un minimum de {{minimum}}) et critère B atteint (rang {{rank}} à l'indice pour un rang limite de {{cutoff}}).",
        "not": f"Non éligible{NBSP}: ",
        "a_missing": f"le critère A ne peut être évalué{NBSP}: aucune valeur utilisable de {{indicator}}",
        "a_missing_proxy": " ni de son indicateur de substitution {proxy}",
        "a_failed": f"critère A non atteint{NBSP}: ",
        "a_rate": f"il faudrait {{gap}} arrivées de plus pour 1{NBSP}000 habitants sur trois ans ({{value}} pour un seuil de {{threshold}}{{raises}})",
        "a_raises": ", que ses propres arrivées relèvent",
        "a_count": "il faudrait {k} {arrivals} de plus sur trois ans ({count} pour un minimum de {minimum})",
        "arrival": ("arrivée", "arrivées"),
        "sep": f"{NBSP}; ",
        "b_met_a": f"critère A atteint{NBSP}; ",
        "b_missing": f"le critère B ne peut être évalué{NBSP}: pas de rang à l'indice.",
        "b_failed": f"critère B non atteint{NBSP}: il faudrait {{k}} {{ranks}} de besoin en plus (rang {{rank}} à l'indice pour un rang limite de {{cutoff}}).",
        "rank": ("rang", "rangs"),
        "year": ("année", "années"),
        "aside_missing": f" Le critère B ne peut être évalué{NBSP}: pas de rang à l'indice.",
        "aside_nocut": f" Le critère B n'a pas de rang limite{NBSP}: aucune commune ne remplit le critère A cette année.",
        "aside_within": " Son rang à l'indice ({rank}) est dans la limite du critère B (rang {cutoff}).",
        "aside_also": " Le critère B demanderait aussi {k} {ranks} de besoin en plus (rang {rank} à l'indice pour un rang limite de {cutoff}).",
        "proxy": " Le critère A utilise l'indicateur de substitution {proxy}, faute de valeur utilisable de {indicator}.",
        "entering": f"Entre dans le fonds cette année{NBSP}: reçoit {{paid}} selon la formule.",
        "in_fund": f"Dans le fonds{NBSP}: reçoit {{paid}} selon la formule.",
        "staying": f"Reste dans le fonds, année de grâce {{k}} sur {{n}} hors des critères{NBSP}: reçoit {{paid}} selon la formule.",
        "leaving": f"Quitte le fonds après {{k}} {{years}} hors des critères{NBSP}: reçoit une garantie de sortie de {{guarantee}} ({{share}} de sa dernière dotation).",
        "leaving_unknown": f"Quitte le fonds après {{k}} {{years}} hors des critères{NBSP}; sa dernière dotation n'est pas dans ces années, aucune garantie n'est calculée.",
        "out": f"Hors du fonds{NBSP}: ne reçoit rien.",
        "cap": " Montant plafonné à {share} des {pool} répartis par la formule.",
        "cap_budget": " Montant plafonné à {share} du budget de l'année, {budget}.",
        "floor": " Montant relevé au plancher de {floor}.",
        "floor_band": " Montant relevé au plancher de {floor} ({share} du plancher de {full}, comme sa part).",
        "minimum": " Montant relevé à son minimum garanti.",
        "band": f" Bande d'entrée progressive{NBSP}: reçoit {{share}} de sa part pleine (critère A {{a}}, critère B {{b}}).",
        "band_held": f" Bande d'entrée progressive{NBSP}: garde {{share}} de sa part pleine, comme lors de sa dernière année dans les critères.",
    },
    "nl": {
        "eligible": "Subsidiabel: criterium A voldaan ({value} aankomsten per 1.000 inwoners over drie jaar tegenover een drempel van {threshold}; {count} aankomsten tegenover een minimum van {minimum}) en criterium B voldaan (rang {rank} in de index tegenover een grensrang van {cutoff}).",
        "not": "Niet subsidiabel: ",
        "a_missing": "criterium A kan niet beoordeeld worden: geen bruikbare waarde van {indicator}",
        "a_missing_proxy": " noch van de benadering {proxy}",
        "a_failed": "criterium A niet voldaan: ",
        "a_rate": "er zijn {gap} aankomsten per 1.000 inwoners over drie jaar meer nodig ({value} tegenover een drempel van {threshold}{raises})",
        "a_raises": ", die door de eigen aankomsten stijgt",
        "a_count": "{k} {arrivals} over drie jaar tekort ({count} tegenover een minimum van {minimum})",
        "arrival": ("aankomst", "aankomsten"),
        "sep": "; ",
        "b_met_a": "criterium A voldaan; ",
        "b_missing": "criterium B kan niet beoordeeld worden: geen rang in de index.",
        "b_failed": "criterium B niet voldaan: {k} {ranks} tekort (rang {rank} in de index tegenover een grensrang van {cutoff}).",
        "rank": ("rang", "rangen"),
        "year": ("jaar", "jaar"),
        "aside_missing": " Criterium B kan niet beoordeeld worden: geen rang in de index.",
        "aside_nocut": " Criterium B heeft geen grensrang: geen enkele gemeente voldoet dit jaar aan criterium A.",
        "aside_within": " De rang in de index ({rank}) valt binnen de grensrang van criterium B ({cutoff}).",
        "aside_also": " Voor criterium B is er ook {k} {ranks} tekort (rang {rank} in de index tegenover een grensrang van {cutoff}).",
        "proxy": " Criterium A gebruikt de benadering {proxy}, omdat {indicator} geen bruikbare waarde heeft.",
        "entering": "Treedt dit jaar toe tot het fonds: ontvangt {paid} volgens de formule.",
        "in_fund": "In het fonds: ontvangt {paid} volgens de formule.",
        "staying": "Blijft in het fonds, genadejaar {k} van {n} buiten de criteria: ontvangt {paid} volgens de formule.",
        "leaving": "Verlaat het fonds na {k} jaar buiten de criteria: ontvangt een uitstapgarantie van {guarantee} ({share} van de laatste toelage).",
        "leaving_unknown": "Verlaat het fonds na {k} jaar buiten de criteria; de laatste toelage valt niet in deze jaren, er wordt geen garantie berekend.",
        "out": "Niet in het fonds: ontvangt niets.",
        "cap": " Het bedrag is begrensd op het plafond: {share} van de {pool} die de formule verdeelt.",
        "cap_budget": " Het bedrag is begrensd op het plafond: {share} van het budget van het jaar, {budget}.",
        "floor": " Het bedrag is opgetrokken tot de bodem van {floor}.",
        "floor_band": " Het bedrag is opgetrokken tot de bodem van {floor} ({share} van de bodem van {full}, zoals het aandeel).",
        "minimum": " Het bedrag is opgetrokken tot het gewaarborgde minimum.",
        "band": " Ingroeiband: ontvangt {share} van het volle aandeel (criterium A {a}, criterium B {b}).",
        "band_held": " Ingroeiband: behoudt {share} van het volle aandeel, zoals in het laatste jaar binnen de criteria.",
    },
}


def explain(row: Mapping[str, Any], rules: FundRules) -> dict[str, str]:
    """The reason for one commune-year row of the eligibility frame, per language."""
    return {lang: _explain(row, rules, lang) for lang in LANGS}


def _explain(row: Mapping[str, Any], rules: FundRules, lang: str) -> str:
    t = _T[lang]
    g = rules.gate_a
    value, threshold = row.get("gate_a_value"), row.get("gate_a_threshold")
    if _missing(value):
        text = t["not"] + t["a_missing"].format(indicator=g.indicator)
        if g.allow_proxy and g.proxy_indicator:
            text += t["a_missing_proxy"].format(proxy=g.proxy_indicator)
        return text + "."

    digits = _digits(value, threshold)
    numbers = {
        "value": number(value, digits, lang),
        "threshold": number(threshold, digits, lang),
        "count": number(row["gate_a_numerator"], 0, lang),
        "minimum": number(g.min_arrivals, 0, lang),
    }
    if row["eligible"]:
        text = t["eligible"].format(
            **numbers,
            rank=number(row["gate_b_value"], _rank_digits(row["gate_b_value"]), lang),
            cutoff=number(row["gate_b_threshold"], _rank_digits(row["gate_b_threshold"]), lang),
        )
        return _with_proxy(text, row, rules, lang)

    if not row["gate_a_pass"]:
        parts = []
        if not row["gate_a_rate_pass"]:
            gap = float(row["gate_a_gap"])
            # Say why the gap exceeds threshold minus value when the difference shows.
            moves = number(gap, 1, lang) != number(_ceil1(threshold - value), 1, lang)
            parts.append(
                t["a_rate"].format(**numbers, gap=number(gap, 1, lang), raises=t["a_raises"] if moves else "")
            )
        if not row["gate_a_count_pass"]:
            k = math.ceil(float(row["gate_a_count_gap"]))
            parts.append(t["a_count"].format(**numbers, k=number(k, 0, lang), arrivals=_plural(k, t["arrival"])))
        text = t["not"] + t["a_failed"] + t["sep"].join(parts) + "." + _gate_b_aside(row, lang)
        return _with_proxy(text, row, rules, lang)

    # Gate A met, gate B not.
    if _missing(row["gate_b_value"]):
        return _with_proxy(t["not"] + t["b_met_a"] + t["b_missing"], row, rules, lang)
    k = math.ceil(float(row["gate_b_gap"]))
    text = t["not"] + t["b_met_a"] + t["b_failed"].format(
        k=number(k, 0, lang),
        ranks=_plural(k, t["rank"]),
        rank=number(row["gate_b_value"], _rank_digits(row["gate_b_value"]), lang),
        cutoff=number(row["gate_b_threshold"], _rank_digits(row["gate_b_threshold"]), lang),
    )
    return _with_proxy(text, row, rules, lang)


def status_sentence(row: Mapping[str, Any], rules: FundRules, lang: str) -> str:
    """What the fund does with the commune that year, and what it pays: entering, in the fund,
    staying (grace year k of n), leaving (with its exit guarantee) or out."""
    t = _T[lang]
    status = row["status"]
    paid = money(row.get("amount_cents") or 0, lang)
    if status in ("entering", "in_fund"):
        return t[status].format(paid=paid) + _band_clause(row, lang) + _bound_clause(row, rules, lang)
    if status == "staying":
        return (
            t["staying"].format(k=int(row["grace_year"]), n=int(row["grace_years"]), paid=paid)
            + _band_clause(row, lang)
            + _bound_clause(row, rules, lang)
        )
    if status == "leaving":
        k = int(row["years_outside"])
        if _missing(row.get("guarantee_cents")):
            return t["leaving_unknown"].format(k=k, years=_plural(k, t["year"]))
        share = percent(rules.transitions.exit_guarantee_share, lang)
        return t["leaving"].format(k=k, years=_plural(k, t["year"]), guarantee=money(row["guarantee_cents"], lang), share=share)
    return t["out"]


def band_share(factor: float) -> float:
    """A band factor as the reason prints it (a share, rounded down at 0.1 %, so that "100 %" is
    said only of a full share)."""
    return math.floor(round(float(factor) * 1000, 6)) / 1000


def _band_clause(row: Mapping[str, Any], lang: str) -> str:
    """The phase-in band (METHOD.md 4): said of every commune paid less than its full share
    because it stands inside a gate's band, with each gate's factor; a commune in a grace year
    keeps the factor of its last year inside the gates."""
    factor = row.get("band_factor")
    if _missing(factor) or float(factor) >= 1:
        return ""
    t = _T[lang]
    share = percent(band_share(factor), lang)
    if row.get("status") == "staying" or _missing(row.get("gate_a_band_factor")):
        return t["band_held"].format(share=share)
    return t["band"].format(
        share=share,
        a=percent(band_share(row["gate_a_band_factor"]), lang),
        b=percent(band_share(row["gate_b_band_factor"]), lang),
    )


def _bound_clause(row: Mapping[str, Any], rules: FundRules, lang: str) -> str:
    """Why a formula amount is what it is when a bound set it (the cap, the floor, a hold-harmless
    minimum): four communes at exactly the same amount need this sentence."""
    bound = row.get("bound")
    a = rules.allocation
    if bound == "cap" and a.cap_of == "whole_budget" and not _missing(row.get("budget_cents")):
        return _T[lang]["cap_budget"].format(share=percent(a.cap_share, lang), budget=money(row["budget_cents"], lang))
    if bound == "cap" and not _missing(row.get("pool_cents")):
        return _T[lang]["cap"].format(share=percent(a.cap_share, lang), pool=money(row["pool_cents"], lang))
    if bound == "floor":
        factor = row.get("band_factor")
        if not _missing(factor) and float(factor) < 1:
            return _T[lang]["floor_band"].format(
                floor=money(floor_cents(a.floor_cents, float(factor)), lang),
                share=percent(band_share(factor), lang),
                full=money(a.floor_cents, lang),
            )
        return _T[lang]["floor"].format(floor=money(a.floor_cents, lang))
    if bound == "minimum":
        return _T[lang]["minimum"]
    return ""


def _gate_b_aside(row: Mapping[str, Any], lang: str) -> str:
    """What gate B says of a commune that fails gate A (helps a reader see what else is needed)."""
    t = _T[lang]
    if _missing(row["gate_b_value"]):
        return t["aside_missing"]
    if _missing(row["gate_b_threshold"]):
        return t["aside_nocut"]
    rank = number(row["gate_b_value"], _rank_digits(row["gate_b_value"]), lang)
    cutoff = number(row["gate_b_threshold"], _rank_digits(row["gate_b_threshold"]), lang)
    if row["gate_b_pass"]:
        return t["aside_within"].format(rank=rank, cutoff=cutoff)
    k = math.ceil(float(row["gate_b_gap"]))
    return t["aside_also"].format(k=number(k, 0, lang), ranks=_plural(k, t["rank"]), rank=rank, cutoff=cutoff)


def _with_proxy(text: str, row: Mapping[str, Any], rules: FundRules, lang: str) -> str:
    if not row.get("gate_a_proxy"):
        return text
    g = rules.gate_a
    return text + _T[lang]["proxy"].format(proxy=g.proxy_indicator, indicator=g.indicator)


def _missing(value: Any) -> bool:
    # pandas' NA reaches here from nullable columns
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _digits(value: float, threshold: float) -> int:
    """One decimal, or more when one decimal would print a failing value equal to its threshold."""
    for digits in (1, 2, 3):
        if f"{value:.{digits}f}" != f"{threshold:.{digits}f}":
            return digits
    return 3


def _rank_digits(rank: float) -> int:
    return 0 if float(rank).is_integer() else 1


def _ceil1(value: float) -> float:
    return math.ceil(round(float(value) * 10, 6)) / 10


def number(value: float, digits: int, lang: str) -> str:
    """A number as a reader of ``lang`` writes it: 1,234.5 / 1 234,5 / 1.234,5."""
    text = f"{float(value):,.{digits}f}"
    if lang == "fr":
        return text.replace(",", NBSP).replace(".", ",")
    if lang == "nl":
        return text.replace(",", "_").replace(".", ",").replace("_", ".")
    return text


def money(cents: float, lang: str) -> str:
    """An amount of euro cents as euros with cents: €2,329,919.18 / 2 329 919,18 € / € 2.329.919,18."""
    euros = number(int(cents) / 100, 2, lang)
    if lang == "fr":
        return f"{euros}{NBSP}€"
    if lang == "nl":
        return f"€{NBSP}{euros}"
    return f"€{euros}"


def percent(share: Decimal | float, lang: str) -> str:
    value = float(share) * 100
    digits = 0 if value.is_integer() else 1
    text = number(value, digits, lang)
    return f"{text}{NBSP}%" if lang == "fr" else f"{text}%"


def _plural(count: float, forms: tuple[str, str]) -> str:
    return forms[0] if count == 1 else forms[1]
