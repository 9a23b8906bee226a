"""The fund status in words, in the three languages, with the amounts as the columns hold them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from kernels.fund_reasons import NBSP, money, number, status_sentence
from kernels.fund_rules import load_fund_rules
from kernels.warehouse import with_reasons

RULES = load_fund_rules(Path(__file__).resolve().parents[2] / "config" / "archive" / "fund_rules_2025.2.yml")


@pytest.mark.parametrize(
    ("row", "en", "fr", "nl"),
    [
        (
            {"status": "entering", "amount_cents": 232_991_918},
            "Enters the fund this year: paid €2,329,919.18 by the formula.",
            f"Entre dans le fonds cette année{NBSP}: reçoit 2{NBSP}329{NBSP}919,18{NBSP}€ selon la formule.",
            f"Treedt dit jaar toe tot het fonds: ontvangt €{NBSP}2.329.919,18 volgens de formule.",
        ),
        (
            {"status": "staying", "amount_cents": 5_000_000, "grace_year": 1, "grace_years": 1},
            "Stays in the fund in grace year 1 of 1 outside the gates: paid €50,000.00 by the formula.",
            f"Reste dans le fonds, année de grâce 1 sur 1 hors des critères{NBSP}: reçoit 50{NBSP}000,00{NBSP}€ selon la formule.",
            f"Blijft in het fonds, genadejaar 1 van 1 buiten de criteria: ontvangt €{NBSP}50.000,00 volgens de formule.",
        ),
        (
            {"status": "leaving", "amount_cents": 0, "guarantee_cents": 2_500_000, "years_outside": 2},
            "Leaves the fund after 2 years outside the gates: paid an exit guarantee of €25,000.00 (50% of its last grant).",
            f"Quitte le fonds après 2 années hors des critères{NBSP}: reçoit une garantie de sortie de 25{NBSP}000,00{NBSP}€ (50{NBSP}% de sa dernière dotation).",
            f"Verlaat het fonds na 2 jaar buiten de criteria: ontvangt een uitstapgarantie van €{NBSP}25.000,00 (50% van de laatste toelage).",
        ),
        (
            # Rules that let a commune go after one year outside: the year is singular.
            {"status": "leaving", "amount_cents": 0, "guarantee_cents": 100, "years_outside": 1},
            "Leaves the fund after 1 year outside the gates: paid an exit guarantee of €1.00 (50% of its last grant).",
            f"Quitte le fonds après 1 année hors des critères{NBSP}: reçoit une garantie de sortie de 1,00{NBSP}€ (50{NBSP}% de sa dernière dotation).",
            f"Verlaat het fonds na 1 jaar buiten de criteria: ontvangt een uitstapgarantie van €{NBSP}1,00 (50% van de laatste toelage).",
        ),
        (
            # The cap held the amount: four communes at exactly the same amount are explained.
            {"status": "in_fund", "amount_cents": 549_750_000, "bound": "cap", "pool_cents": 5_497_500_000},
            "In the fund: paid €5,497,500.00 by the formula. The amount is held at the cap: 10% of the €54,975,000.00 "
            "the formula shares out.",
            f"Dans le fonds{NBSP}: reçoit 5{NBSP}497{NBSP}500,00{NBSP}€ selon la formule. Montant plafonné à 10{NBSP}% des "
            f"54{NBSP}975{NBSP}000,00{NBSP}€ répartis par la formule.",
            f"In het fonds: ontvangt €{NBSP}5.497.500,00 volgens de formule. Het bedrag is begrensd op het plafond: 10% van "
            f"de €{NBSP}54.975.000,00 die de formule verdeelt.",
        ),
        (
            {"status": "entering", "amount_cents": 5_000_000, "bound": "floor", "pool_cents": 5_497_500_000},
            "Enters the fund this year: paid €50,000.00 by the formula. The amount is raised to the floor of €50,000.00.",
            f"Entre dans le fonds cette année{NBSP}: reçoit 50{NBSP}000,00{NBSP}€ selon la formule. Montant relevé au "
            f"plancher de 50{NBSP}000,00{NBSP}€.",
            f"Treedt dit jaar toe tot het fonds: ontvangt €{NBSP}50.000,00 volgens de formule. Het bedrag is opgetrokken "
            f"tot de bodem van €{NBSP}50.000,00.",
        ),
        ({"status": "out", "amount_cents": 0}, "Not in the fund: paid nothing.", f"Hors du fonds{NBSP}: ne reçoit rien.", "Niet in het fonds: ontvangt niets."),
    ],
)
def test_status_in_words(row, en, fr, nl):
    assert [status_sentence(row, RULES, lang) for lang in ("en", "fr", "nl")] == [en, fr, nl]


def test_numbers_follow_each_language():
    assert [number(1234.5, 1, lang) for lang in ("en", "fr", "nl")] == ["1,234.5", f"1{NBSP}234,5", "1.234,5"]
    assert money(-12_345, "en") == "€-123.45"


def test_every_paid_amount_has_its_reason_beside_it():
    years = pd.DataFrame(
        {
            "nis_code": ["21013", "93090"], "year": [2025, 2025], "status": ["staying", "out"],
            "amount_cents": [232_991_918, 0], "guarantee_cents": [0, 0], "grace_year": [1, pd.NA],
            "grace_years": [1, pd.NA], "years_outside": [1, pd.NA],
        }
    )
    eligibility = pd.DataFrame(
        {"nis_code": ["21013", "93090"], "year": [2025, 2025], "reason_en": ["Not eligible: gate A met; …", "Not eligible: …"],
         "reason_fr": ["Non éligible …", "Non éligible …"], "reason_nl": ["Niet subsidiabel …", "Niet subsidiabel …"]}
    )
    out = with_reasons(years, eligibility, RULES).set_index("nis_code")
    assert out.loc["21013", "reason_en"] == (
        "Not eligible: gate A met; … Stays in the fund in grace year 1 of 1 outside the gates: paid €2,329,919.18 by the formula."
    )
    assert out.loc["93090", "reason_nl"] == "Niet subsidiabel … Niet in het fonds: ontvangt niets."
