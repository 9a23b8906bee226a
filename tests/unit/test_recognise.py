"""Recognition by content (ingestion/recognise.py) on files written by the tests: the file head's
kinds, a file with two layouts' signatures, entries told apart by labels, measures, member, kind
and name, and the messages a user gets."""

from __future__ import annotations

import copy
import zipfile
from pathlib import Path

import pytest
import xlsxwriter
import yaml

from ingestion.catalog import DEFAULT_CATALOG_PATH, load_catalog, parse_catalog
from ingestion.errors import RecognitionError, UnmatchedFileError
from ingestion.filehead import FileHead
from ingestion.recognise import recognise

REFNIS_HEADER = "LVL_REFNIS|CD_REFNIS|CD_SUP_REFNIS|TX_REFNIS_DE|TX_REFNIS_FR|TX_REFNIS_NL|DT_VLDT_START|DT_VLDT_END"


def write(path: Path, content: str | bytes) -> Path:
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def zipped(path: Path, members: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return path


def test_the_kind_of_a_file_comes_from_its_bytes(tmp_path):
    book = tmp_path / "a.csv"  # an xlsx whatever its name says
    workbook = xlsxwriter.Workbook(str(book))
    workbook.add_worksheet("Blad1").write(0, 0, "x")
    workbook.close()
    kinds = {
        "a.csv": FileHead(book).kind,
        "zip": FileHead(zipped(tmp_path / "b.xlsx", {"t.txt": "a|b"})).kind,
        "xls": FileHead(write(tmp_path / "c.bin", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504)).kind,
        "html": FileHead(write(tmp_path / "d.zip", "\ufeff<!DOCTYPE html><html></html>")).kind,
        "empty": FileHead(write(tmp_path / "e.csv", b"")).kind,
        "binary": FileHead(write(tmp_path / "f.txt", b"\x89PNG\r\n\x1a\n\0\0")).kind,
        "text": FileHead(write(tmp_path / "g.xlsx", "jaar;maand\n")).kind,
    }
    assert kinds == {
        "a.csv": "xlsx", "zip": "zip", "xls": "xls", "html": "html", "empty": "empty", "binary": "binary",
        "text": "text",
    }
    head = FileHead(write(tmp_path / "h.csv", b"\xef\xbb\xbfRefnis;Bevolking\r\n01000;1\r\n"))
    assert head.lines == ("Refnis;Bevolking", "01000;1")  # BOM dropped, line ends gone


def test_a_file_with_the_signatures_of_two_layouts_is_an_error_naming_both(tmp_path):
    # A Swing long export whose indicator is literally "Bevolking" also looks like Statbel's
    # population table in CSV: recognition cannot choose.
    path = write(tmp_path / "export.csv", '"NIS";"gemeente";"jaar";"Bevolking"\n"41002";"Aalst";"2024";90000\n')
    with pytest.raises(RecognitionError) as caught:
        recognise(path, load_catalog())
    assert str(caught.value) == (
        "export.csv: a text file with the signatures of 2 layouts, statbel_pop_totals and swing_csv; it cannot be "
        "told which it is (check it with: cohesion parse DATASET FILE)"
    )
    assert not isinstance(caught.value, UnmatchedFileError)
    # The dataset asked for settles it: only one of the two layouts is the dataset's.
    found = recognise(path, load_catalog(), dataset="statbel_population_totals")
    assert (found.layout, found.spec.label) == ("statbel_pop_totals", "statbel_population_totals/pop_density")


def test_a_swing_file_is_the_entry_whose_labels_it_carries(tmp_path):
    catalog = load_catalog()
    header = '"gemeenten";"nieuwkomers niet-EU per 1.000 inwoners 18+ jaar niet-EU|2024"\n"Aalst";12,5\n'
    assert recognise(write(tmp_path / "x.csv", header), catalog).spec.label == "arrivals/newcomers_non_eu_rate"
    unknown = write(tmp_path / "y.csv", '"gemeenten";"bewoners met een groene wagen|2024"\n"Aalst";12\n')
    with pytest.raises(UnmatchedFileError) as caught:
        recognise(unknown, catalog)
    assert str(caught.value).startswith(
        "y.csv: has the layout swing_csv, but no catalog entry of that layout takes it (arrivals/newcomers: needs "
        "the label(s) 'nieuwkomers'; arrivals/newcomers_non_eu: needs the label(s) 'nieuwkomers niet-EU';"
    )


def test_a_canonical_csv_belongs_to_the_dataset_of_its_measures_and_its_year_is_in_its_rows(tmp_path):
    catalog = load_catalog()
    schools = recognise(write(tmp_path / "a.csv", "nis_code,map_vintage,year,pupils\n21001,581,2022,1500\n"), catalog)
    employment = recognise(write(tmp_path / "b.csv", "nis_code,map_vintage,year,jobseekers\n21001,565,2024,9\n"), catalog)
    assert (schools.spec.label, schools.year) == ("schools/counts", 2022)
    assert (employment.spec.label, employment.year) == ("employment/counts", 2024)
    mixed = write(tmp_path / "c.csv", "nis_code,map_vintage,year,pupils,jobseekers\n21001,565,2024,1,2\n")
    with pytest.raises(UnmatchedFileError, match=r"its content belongs to no dataset"):
        recognise(mixed, catalog)


def test_the_kind_of_file_chooses_between_the_xls_and_the_xlsx_entry(tmp_path):
    path = tmp_path / "download.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Totaal")
    sheet.write(0, 0, "Tabel C.1: Totaal netto belastbaar inkomen")
    sheet.write(2, 0, "Inkomstenjaar 2023")
    sheet.write_row(5, 0, ["Administratieve Eenheid", "NIS code", "Totaal netto belastbaar inkomen"])
    book.close()
    found = recognise(path, load_catalog())
    assert (found.spec.label, found.year, found.year_from) == (
        "statbel_income/fisc_workbook", 2023, "the title of sheet 'Totaal'"
    )


def test_a_catalog_signature_member_picks_the_dated_code_list(tmp_path):
    catalog = load_catalog()
    dated = zipped(tmp_path / "a.zip", {"TU_COM_REFNIS-20250101.txt": REFNIS_HEADER + "\n"})
    plain = zipped(tmp_path / "b.zip", {"TU_COM_REFNIS.txt": REFNIS_HEADER + "\n"})
    assert recognise(dated, catalog).spec.label == "statbel_refnis/refnis_2025"
    assert recognise(plain, catalog).spec.label == "statbel_refnis/refnis"
    assert recognise(write(tmp_path / "c.txt", REFNIS_HEADER + "\n"), catalog).spec.label == "statbel_refnis/refnis"


def test_two_entries_the_content_cannot_tell_apart_are_an_error_unless_the_name_does(tmp_path):
    document = yaml.safe_load(DEFAULT_CATALOG_PATH.read_text(encoding="utf-8"))
    employment = next(d for d in document["datasets"] if d["id"] == "employment")
    twin = copy.deepcopy(next(f for f in employment["files"] if f["id"] == "onem_rates"))
    twin.update(id="onem_rates_copy", filename="interact_taux_V2.csv", url=None)
    employment["files"].append(twin)
    catalog = parse_catalog(document)
    rates = "jaar;maand;level;zonegeog;graad;diff1an\n2025;13;5;92094;6.00;\n"
    with pytest.raises(RecognitionError) as caught:
        recognise(write(tmp_path / "rates.csv", rates), catalog)
    assert str(caught.value) == (
        "rates.csv: has the layout onem_rates and fits 2 catalog entries, employment/onem_rates and "
        "employment/onem_rates_copy; neither its content nor its name tells which"
    )
    named = recognise(write(tmp_path / "interact_taux_V2.csv", rates), catalog)
    assert named.spec.label == "employment/onem_rates_copy"


def test_a_broken_file_under_its_catalog_name_is_taken_by_its_name(tmp_path):
    path = write(tmp_path / "interact_taux_V1.csv", "jaar;maand;level;zonegeog;diff1an\n2024;13;5;21001;\n")
    found = recognise(path, load_catalog())
    assert (found.spec.label, found.basis) == ("employment/onem_rates", "name")
    assert found.describe() == (
        "employment/onem_rates (layout onem_rates, recognised by its name only: its header has no graad (ONEM's "
        "header is jaar;maand;level;zonegeog;graad;diff1an))"
    )
