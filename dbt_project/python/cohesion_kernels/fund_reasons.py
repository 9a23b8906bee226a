"""Eligibility explained in words, in English and French, with the distance to each threshold in
the indicator's own units ("would need 4.2 more arrivals per 1,000 inhabitants over three years",
"would need 12 ranks more need").

Distances are rounded *up* at the precision shown, so that closing the stated gap is enough to
pass. French uses a decimal comma and a no-break space as thousands separator and before ":" and
";".
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from cohesion_kernels.fund_rules import FundRules

NBSP = "\u00a0"


def explain(row: Mapping[str, Any], rules: FundRules) -> tuple[str, str]:
    """(English, French) reason for one commune-year row of the eligibility frame."""
    g = rules.gate_a
    value, threshold = row.get("gate_a_value"), row.get("gate_a_threshold")
    if _missing(value):
        en = f"Not eligible: gate A cannot be assessed: no usable value of {g.indicator}"
        fr = (
            f"Non éligible{NBSP}: le critère A ne peut être évalué{NBSP}: aucune valeur utilisable "
            f"de {g.indicator}"
        )
        if g.allow_proxy and g.proxy_indicator:
            en += f" or of its proxy {g.proxy_indicator}"
            fr += f" ni de son indicateur de substitution {g.proxy_indicator}"
        return en + ".", fr + "."

    digits = _digits(value, threshold)
    v_en, v_fr = _num(value, digits)
    t_en, t_fr = _num(threshold, digits)
    count = row["gate_a_numerator"]
    n_en, n_fr = _num(count, 0)
    m_en, m_fr = _num(g.min_arrivals, 0)

    if row["eligible"]:
        r_en, r_fr = _num(row["gate_b_value"], _rank_digits(row["gate_b_value"]))
        c_en, c_fr = _num(row["gate_b_threshold"], _rank_digits(row["gate_b_threshold"]))
        en = (
            f"Eligible: gate A met ({v_en} arrivals per 1,000 inhabitants over three years against "
            f"a threshold of {t_en}; {n_en} arrivals against a minimum of {m_en}) and gate B met "
            f"(index rank {r_en} against a cut-off rank of {c_en})."
        )
        fr = (
            f"Éligible{NBSP}: critère A atteint ({v_fr} arrivées pour 1{NBSP}000 habitants sur trois "
            f"ans pour un seuil de {t_fr}{NBSP}; {n_fr} arrivées pour un minimum de {m_fr}) et "
            f"critère B atteint (rang {r_fr} à l'indice pour un rang limite de {c_fr})."
        )
        return _with_proxy(en, fr, row, rules)

    if not row["gate_a_pass"]:
        parts_en, parts_fr = [], []
        if not row["gate_a_rate_pass"]:
            gap = _ceil(row["gate_a_gap"], digits)
            gap_en, gap_fr = _num(gap, digits)
            # Say why the gap exceeds threshold minus value when the difference shows.
            moves = gap != _ceil(threshold - value, digits)
            parts_en.append(
                f"would need {gap_en} more arrivals per 1,000 inhabitants over three years "
                f"({v_en} against a threshold of {t_en}"
                + (", which its own arrivals raise)" if moves else ")")
            )
            parts_fr.append(
                f"il faudrait {gap_fr} arrivées de plus pour 1{NBSP}000 habitants sur trois ans "
                f"({v_fr} pour un seuil de {t_fr}"
                + (", que ses propres arrivées relèvent)" if moves else ")")
            )
        if not row["gate_a_count_pass"]:
            k = _ceil(row["gate_a_count_gap"], 0)
            k_en, k_fr = _num(k, 0)
            parts_en.append(
                f"would need {k_en} more {_plural(k, 'arrival', 'arrivals')} over three years "
                f"({n_en} against a minimum of {m_en})"
            )
            parts_fr.append(
                f"il faudrait {k_fr} {_plural(k, 'arrivée', 'arrivées')} de plus sur trois ans "
                f"({n_fr} pour un minimum de {m_fr})"
            )
        en = "Not eligible: gate A not met: " + "; ".join(parts_en) + "."
        fr = f"Non éligible{NBSP}: critère A non atteint{NBSP}: " + f"{NBSP}; ".join(parts_fr) + "."
        b_en, b_fr = _gate_b_aside(row)
        return _with_proxy(en + b_en, fr + b_fr, row, rules)

    # Gate A met, gate B not.
    if _missing(row["gate_b_value"]):
        en = "Not eligible: gate A met; gate B cannot be assessed: no index rank."
        fr = (
            f"Non éligible{NBSP}: critère A atteint{NBSP}; le critère B ne peut être évalué{NBSP}: "
            "pas de rang à l'indice."
        )
        return _with_proxy(en, fr, row, rules)
    g_count = _ceil(row["gate_b_gap"], 0)
    g_en, g_fr = _num(g_count, 0)
    r_en, r_fr = _num(row["gate_b_value"], _rank_digits(row["gate_b_value"]))
    c_en, c_fr = _num(row["gate_b_threshold"], _rank_digits(row["gate_b_threshold"]))
    en = (
        f"Not eligible: gate A met; gate B not met: would need {g_en} "
        f"{_plural(g_count, 'rank', 'ranks')} more need (index rank {r_en} against a cut-off rank "
        f"of {c_en})."
    )
    fr = (
        f"Non éligible{NBSP}: critère A atteint{NBSP}; critère B non atteint{NBSP}: il faudrait "
        f"{g_fr} {_plural(g_count, 'rang', 'rangs')} de besoin en plus (rang {r_fr} à l'indice pour "
        f"un rang limite de {c_fr})."
    )
    return _with_proxy(en, fr, row, rules)


def _gate_b_aside(row: Mapping[str, Any]) -> tuple[str, str]:
    """What gate B says of a commune that fails gate A (helps a reader see what else is needed)."""
    if _missing(row["gate_b_value"]):
        return (
            " Gate B cannot be assessed: no index rank.",
            f" Le critère B ne peut être évalué{NBSP}: pas de rang à l'indice.",
        )
    if _missing(row["gate_b_threshold"]):
        return (
            " Gate B has no cut-off: no commune passes gate A this year.",
            f" Le critère B n'a pas de rang limite{NBSP}: aucune commune ne remplit le critère A "
            "cette année.",
        )
    r_en, r_fr = _num(row["gate_b_value"], _rank_digits(row["gate_b_value"]))
    c_en, c_fr = _num(row["gate_b_threshold"], _rank_digits(row["gate_b_threshold"]))
    if row["gate_b_pass"]:
        return (
            f" Its index rank {r_en} is within the gate-B cut-off rank of {c_en}.",
            f" Son rang à l'indice ({r_fr}) est dans la limite du critère B (rang {c_fr}).",
        )
    g_count = _ceil(row["gate_b_gap"], 0)
    g_en, g_fr = _num(g_count, 0)
    return (
        f" Gate B would also need {g_en} {_plural(g_count, 'rank', 'ranks')} more need "
        f"(index rank {r_en} against a cut-off rank of {c_en}).",
        f" Le critère B demanderait aussi {g_fr} {_plural(g_count, 'rang', 'rangs')} de besoin en "
        f"plus (rang {r_fr} à l'indice pour un rang limite de {c_fr}).",
    )


def _with_proxy(en: str, fr: str, row: Mapping[str, Any], rules: FundRules) -> tuple[str, str]:
    if not row.get("gate_a_proxy"):
        return en, fr
    g = rules.gate_a
    return (
        f"{en} Gate A used the proxy {g.proxy_indicator} because {g.indicator} has no usable "
        "value.",
        f"{fr} Le critère A utilise l'indicateur de substitution {g.proxy_indicator}, faute de "
        f"valeur utilisable de {g.indicator}.",
    )


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _digits(value: float, threshold: float) -> int:
    """One decimal, or more when one decimal would print a failing value equal to its threshold."""
    for digits in (1, 2, 3):
        if f"{value:.{digits}f}" != f"{threshold:.{digits}f}":
            return digits
    return 3


def _rank_digits(rank: float) -> int:
    return 0 if float(rank).is_integer() else 1


def _ceil(value: float, digits: int) -> float:
    # round() first so that 4.2000000001 (float noise) does not become 4.3.
    scaled = round(float(value) * 10**digits, 6)
    return math.ceil(scaled) / 10**digits


def _num(value: float, digits: int) -> tuple[str, str]:
    en = f"{float(value):,.{digits}f}"
    fr = en.replace(",", NBSP).replace(".", ",")
    return en, fr


def _plural(count: float, one: str, many: str) -> str:
    return one if count == 1 else many
