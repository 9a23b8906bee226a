"""The site's own words in French, Dutch and English. Labels of the data's codes (fund status,
budget line, domain, flag) come from the release's value_labels table, and indicator names from
indicator_definitions, never from here."""

from __future__ import annotations

LANGS = ("fr", "nl", "en")
LANG_NAMES = {"fr": "Français", "nl": "Nederlands", "en": "English"}

_TEXT: dict[str, dict[str, str]] = {
    "site_title": {
        "fr": "Cohésion des communes belges",
        "nl": "Cohesie van de Belgische gemeenten",
        "en": "Cohesion of Belgian communes",
    },
    "synthetic_banner": {
        "fr": "Données de démonstration : cette publication provient de l'échantillon synthétique. Les communes sont réelles, tous les chiffres sont inventés ; ne les citez jamais comme des statistiques.",
        "nl": "Demonstratiegegevens: deze publicatie komt uit de synthetische steekproef. De gemeenten zijn echt, alle cijfers zijn verzonnen; citeer ze nooit als statistiek.",
        "en": "Demonstration data: this release comes from the synthetic sample. The communes are real, every number is invented; never quote them as statistics.",
    },
    "home": {"fr": "Carte", "nl": "Kaart", "en": "Map"},
    "method": {"fr": "Méthode et sources", "nl": "Methode en bronnen", "en": "Method and sources"},
    "language": {"fr": "Langue", "nl": "Taal", "en": "Language"},
    "show": {"fr": "Afficher", "nl": "Toon", "en": "Show"},
    "edition_year": {"fr": "Année", "nl": "Jaar", "en": "Year"},
    "search": {"fr": "Chercher une commune (nom ou code INS)", "nl": "Zoek een gemeente (naam of NIS-code)", "en": "Find a commune (name or NIS code)"},
    "no_match": {"fr": "Aucune commune trouvée", "nl": "Geen gemeente gevonden", "en": "No commune found"},
    "legend": {"fr": "Légende", "nl": "Legende", "en": "Legend"},
    "no_data": {"fr": "pas de donnée", "nl": "geen gegeven", "en": "no data"},
    "map_caption": {
        "fr": "Carte des 565 communes. Survolez ou parcourez les communes au clavier (Tab) pour lire leur valeur ; cliquez pour ouvrir la fiche de la commune. Les mêmes valeurs sont dans le tableau sous la carte.",
        "nl": "Kaart van de 565 gemeenten. Beweeg over een gemeente of blader met het toetsenbord (Tab) om de waarde te lezen; klik om de fiche van de gemeente te openen. Dezelfde waarden staan in de tabel onder de kaart.",
        "en": "Map of the 565 communes. Hover over a commune or move through them with the keyboard (Tab) to read its value; click to open the commune's page. The same values are in the table below the map.",
    },
    "map_table": {"fr": "Les valeurs de la carte, commune par commune", "nl": "De waarden van de kaart, gemeente per gemeente", "en": "The map's values, commune by commune"},
    "measure_score": {"fr": "Score de l'indice de cohésion (0–100, plus élevé = plus de besoins)", "nl": "Score van de cohesie-index (0–100, hoger = meer nood)", "en": "Cohesion index score (0–100, higher = more need)"},
    "measure_interval": {"fr": "Largeur de l'intervalle de rang à 90 % (rangs)", "nl": "Breedte van het 90%-ranginterval (rangen)", "en": "Width of the 90% rank interval (ranks)"},
    "measure_status": {"fr": "Statut dans le fonds local de cohésion", "nl": "Status in het lokale cohesiefonds", "en": "Status in the local cohesion fund"},
    "measure_per_inhabitant": {"fr": "Montant du fonds par habitant (€)", "nl": "Bedrag van het fonds per inwoner (€)", "en": "Fund amount per inhabitant (€)"},
    "indicators": {"fr": "Indicateurs", "nl": "Indicatoren", "en": "Indicators"},
    "commune": {"fr": "Commune", "nl": "Gemeente", "en": "Commune"},
    "nis_code": {"fr": "Code INS", "nl": "NIS-code", "en": "NIS code"},
    "value": {"fr": "Valeur", "nl": "Waarde", "en": "Value"},
    "province": {"fr": "Province", "nl": "Provincie", "en": "Province"},
    "region": {"fr": "Région", "nl": "Gewest", "en": "Region"},
    "other_names": {"fr": "Autres noms officiels", "nl": "Andere officiële namen", "en": "Other official names"},
    "index_title": {"fr": "L'indice au fil des éditions", "nl": "De index door de edities heen", "en": "The index over the editions"},
    "index_intro": {
        "fr": "Rang 1 = le plus de besoins parmi les communes. L'intervalle à 90 % donne les rangs entre lesquels la commune se trouve dans 90 % des variantes de la méthode.",
        "nl": "Rang 1 = meeste nood onder de gemeenten. Het 90%-interval geeft de rangen waartussen de gemeente valt in 90% van de varianten van de methode.",
        "en": "Rank 1 = most need among the communes. The 90% interval gives the ranks between which the commune falls in 90% of the method's variants.",
    },
    "edition": {"fr": "Édition", "nl": "Editie", "en": "Edition"},
    "score": {"fr": "Score", "nl": "Score", "en": "Score"},
    "rank": {"fr": "Rang", "nl": "Rang", "en": "Rank"},
    "interval": {"fr": "Intervalle à 90 %", "nl": "90%-interval", "en": "90% interval"},
    "of_communes": {"fr": "sur {n}", "nl": "op {n}", "en": "of {n}"},
    "no_score": {"fr": "pas de score", "nl": "geen score", "en": "no score"},
    "rank_chart_alt": {
        "fr": "Graphique du rang de la commune et de son intervalle à 90 % par édition ; les valeurs sont dans le tableau.",
        "nl": "Grafiek van de rang van de gemeente en haar 90%-interval per editie; de waarden staan in de tabel.",
        "en": "Chart of the commune's rank and its 90% interval by edition; the values are in the table.",
    },
    "domains_title": {"fr": "Contribution de chaque domaine au score ({year})", "nl": "Bijdrage van elk domein aan de score ({year})", "en": "Each domain's contribution to the score ({year})"},
    "domain": {"fr": "Domaine", "nl": "Domein", "en": "Domain"},
    "weight": {"fr": "Poids", "nl": "Gewicht", "en": "Weight"},
    "contribution": {"fr": "Contribution (points)", "nl": "Bijdrage (punten)", "en": "Contribution (points)"},
    "total": {"fr": "Total", "nl": "Totaal", "en": "Total"},
    "indicators_title": {"fr": "Les indicateurs", "nl": "De indicatoren", "en": "The indicators"},
    "indicators_intro": {
        "fr": "Dernière valeur de chaque indicateur avec sa période de référence, à côté de la médiane des communes de la région et de celle de toutes les communes de Belgique pour la même période. Les valeurs de chaque année sont dans le tableau sous celui-ci.",
        "nl": "Laatste waarde van elke indicator met haar referentieperiode, naast de mediaan van de gemeenten van het gewest en die van alle Belgische gemeenten voor dezelfde periode. De waarden van elk jaar staan in de tabel daaronder.",
        "en": "Each indicator's latest value with its reference period, beside the median of the region's communes and that of every Belgian commune for the same period. Every year's values are in the table below it.",
    },
    "indicator": {"fr": "Indicateur", "nl": "Indicator", "en": "Indicator"},
    "period": {"fr": "Période", "nl": "Periode", "en": "Period"},
    "region_median": {"fr": "Médiane de la région", "nl": "Mediaan van het gewest", "en": "Region's median"},
    "belgium_median": {"fr": "Médiane de la Belgique", "nl": "Mediaan van België", "en": "Belgium's median"},
    "flags": {"fr": "Remarques", "nl": "Opmerkingen", "en": "Flags"},
    "trend": {"fr": "Évolution", "nl": "Evolutie", "en": "Trend"},
    "trend_key": {
        "fr": "Évolution : la commune (trait plein), la médiane de la région (tirets), celle de la Belgique (pointillés).",
        "nl": "Evolutie: de gemeente (volle lijn), de mediaan van het gewest (streepjes), die van België (stippen).",
        "en": "Trend: the commune (solid line), the region's median (dashes), Belgium's (dots).",
    },
    "history_title": {"fr": "Les valeurs de la commune, année par année", "nl": "De waarden van de gemeente, jaar per jaar", "en": "The commune's values, year by year"},
    "year": {"fr": "Année", "nl": "Jaar", "en": "Year"},
    "fund_title": {"fr": "Le fonds local de cohésion", "nl": "Het lokale cohesiefonds", "en": "The local cohesion fund"},
    "fund_none": {"fr": "Le fonds n'est calculé pour aucune année de cette publication.", "nl": "Het fonds is voor geen enkel jaar van deze publicatie berekend.", "en": "The fund is computed for no year of this release."},
    "status": {"fr": "Statut", "nl": "Status", "en": "Status"},
    "paid": {"fr": "Montant", "nl": "Bedrag", "en": "Amount"},
    "per_inhabitant": {"fr": "Par habitant", "nl": "Per inwoner", "en": "Per inhabitant"},
    "population": {"fr": "Population", "nl": "Bevolking", "en": "Population"},
    "probability": {"fr": "Probabilité d'éligibilité", "nl": "Kans op subsidiabiliteit", "en": "Probability of eligibility"},
    "budget_line": {"fr": "Ligne budgétaire", "nl": "Begrotingslijn", "en": "Budget line"},
    "lines_title": {"fr": "Montants par ligne budgétaire ({year})", "nl": "Bedragen per begrotingslijn ({year})", "en": "Amounts per budget line ({year})"},
    "reason": {"fr": "Pourquoi", "nl": "Waarom", "en": "Why"},
    "explanation_title": {"fr": "En quelques phrases", "nl": "In enkele zinnen", "en": "In a few sentences"},
    "former_title": {"fr": "Anciennes communes", "nl": "Vroegere gemeenten", "en": "Former communes"},
    "former_intro": {
        "fr": "Les chiffres de la commune comprennent ceux de ces anciennes communes :",
        "nl": "De cijfers van de gemeente omvatten die van deze vroegere gemeenten:",
        "en": "The commune's figures include those of these former communes:",
    },
    "change": {"fr": "Changement", "nl": "Wijziging", "en": "Change"},
    "date": {"fr": "Date", "nl": "Datum", "en": "Date"},
    "raw_title": {"fr": "Les chiffres bruts", "nl": "De ruwe cijfers", "en": "The raw numbers"},
    "raw_intro": {
        "fr": "Toutes les communes, dans les fichiers de la publication (CSV pour un tableur, Parquet pour l'analyse) :",
        "nl": "Alle gemeenten, in de bestanden van de publicatie (CSV voor een rekenblad, Parquet voor analyse):",
        "en": "Every commune, in the release's files (CSV for a spreadsheet, Parquet for analysis):",
    },
    "release": {"fr": "Publication", "nl": "Publicatie", "en": "Release"},
    "data_origin": {"fr": "Origine des données", "nl": "Herkomst van de gegevens", "en": "Data origin"},
    "created_at": {"fr": "Créée le", "nl": "Aangemaakt op", "en": "Created"},
    "methodology_version": {"fr": "Version de la méthodologie", "nl": "Versie van de methodologie", "en": "Methodology version"},
    "rules_version": {"fr": "Version des règles du fonds", "nl": "Versie van de fondsregels", "en": "Fund rules version"},
    "code_version": {"fr": "Version du code", "nl": "Versie van de code", "en": "Code version"},
    "editions_title": {"fr": "Les éditions de l'indice", "nl": "De edities van de index", "en": "The index editions"},
    "fund_editions_title": {"fr": "Les années du fonds", "nl": "De jaren van het fonds", "en": "The fund's years"},
    "sources_title": {"fr": "Les sources et leurs empreintes", "nl": "De bronnen en hun controlesommen", "en": "The sources and their checksums"},
    "quality_title": {"fr": "Les contrôles qui ont conditionné la publication", "nl": "De controles die de publicatie moest doorstaan", "en": "The checks that gated the release"},
    "quality_intro": {"fr": "{passed} contrôles réussis sur {total}.", "nl": "{passed} van de {total} controles geslaagd.", "en": "{passed} of {total} checks passed."},
    "dictionary_title": {"fr": "Le dictionnaire des données", "nl": "Het gegevenswoordenboek", "en": "The data dictionary"},
    "definitions_title": {"fr": "Les indicateurs et leur formule", "nl": "De indicatoren en hun formule", "en": "The indicators and their formula"},
    "flags_title": {"fr": "Les remarques sur les valeurs", "nl": "De opmerkingen bij de waarden", "en": "The flags on values"},
    "yes": {"fr": "oui", "nl": "ja", "en": "yes"},
    "no": {"fr": "non", "nl": "nee", "en": "no"},
    "passed": {"fr": "réussi", "nl": "geslaagd", "en": "passed"},
    "failed": {"fr": "échoué", "nl": "mislukt", "en": "failed"},
    "all_communes": {"fr": "Toutes les communes", "nl": "Alle gemeenten", "en": "Every commune"},
    "choose_language": {"fr": "Choisissez votre langue", "nl": "Kies uw taal", "en": "Choose your language"},
    "unit": {"fr": "Unité", "nl": "Eenheid", "en": "Unit"},
}

# How a unit of the dictionary is read on the site (shares are shown as percentages).
UNITS: dict[str, dict[str, str]] = {
    "EUR": {"fr": "€", "nl": "€", "en": "€"},
    "share": {"fr": "%", "nl": "%", "en": "%"},
    "percent": {"fr": "%", "nl": "%", "en": "%"},
    "percentage_points": {"fr": "points de %", "nl": "procentpunten", "en": "percentage points"},
    "per_1000": {"fr": "pour 1 000 habitants", "nl": "per 1.000 inwoners", "en": "per 1,000 inhabitants"},
    "ratio": {"fr": "rapport", "nl": "verhouding", "en": "ratio"},
    "persons": {"fr": "personnes", "nl": "personen", "en": "persons"},
}


def text(key: str, lang: str, **values: object) -> str:
    """The site's sentence ``key`` in ``lang``, with ``values`` filled in."""
    return _TEXT[key][lang].format(**values) if values else _TEXT[key][lang]


def unit_label(unit: str, lang: str) -> str:
    return UNITS.get(unit, {}).get(lang, unit)


def missing_keys() -> list[str]:
    """Sentences lacking a language (the unit test keeps this empty)."""
    return [key for key, by_lang in _TEXT.items() if set(by_lang) != set(LANGS)]
