"""Import of contacts and organisations: preview = result, duplicates found, bad files handled."""

from __future__ import annotations

import io
import time

import pytest
from django.core.exceptions import PermissionDenied
from openpyxl import Workbook

from crm.duplicates import find_duplicate_contacts, fold, name_key
from crm.importer import (
    CREATE,
    ERROR,
    SKIP,
    UPDATE,
    ImportFileError,
    StalePreviewError,
    apply_import,
    discard_import,
    preview_import,
    read_table,
)
from crm.models import (
    AccessLog,
    AccessPurpose,
    Contact,
    ImportBatch,
    ImportKind,
    ImportState,
    Organisation,
    OrganisationKind,
    Role,
)

from .conftest import make_user

HEADER = "Etunimi;Sukunimi;Sähköposti;Puhelin;Organisaatio;Titteli;Kunta"


def csv_bytes(*lines: str, encoding="utf-8-sig") -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def preview(user, data, kind=ImportKind.CONTACTS, name="kontaktit.csv"):
    return preview_import(by=user, data=data, file_name=name, kind=kind)


def actions(plan):
    return [(r.row, r.action) for r in plan.rows]


@pytest.fixture
def directory(world):
    """Two people already in the directory (besides the world's)."""
    Contact.objects.create(
        first_name="Aino", last_name="Hämäläinen", organisation=world.council, email="aino@psl.fi"
    )
    Contact.objects.create(first_name="Ville", last_name="Väisänen", email="VILLE@example.fi")
    return world


def test_preview_decides_every_row_and_writes_nothing(directory):
    world = directory
    before = Contact.objects.count(), Organisation.objects.count()
    data = csv_bytes(
        HEADER,
        "Uusi;Henkilö;uusi@example.fi;040 1234567;Pohjois-Savon liitto;suunnittelija;Keitele",
        "Ville;Väisänen;ville@example.FI;0401112223;;;",  # same e-mail: fills the phone
        "AINO;HAMALAINEN;;;pohjois-savon LIITTO;johtaja;",  # same name, same organisation
        "Ville;Väisänen;ville@example.fi;;;;",  # the same person again in this file
        "Virhe;Osoite;ei-osoite;;;;",
        "Virhe;Puhelin;;12;;;",
        "Virhe;Kunta;;;;;Kuopio",
        ";;;;;;",  # an empty row is no row
        "Toinen;Uusi;;;Uusi Yhdistys ry;;",
    )
    batch, plan = preview(world.alice, data)

    assert actions(plan) == [
        (2, CREATE),
        (3, UPDATE),
        (4, UPDATE),
        (5, SKIP),
        (6, ERROR),
        (7, ERROR),
        (8, ERROR),
        (10, CREATE),
    ]
    assert plan.rows[1].changes == {"phone": "+358401112223"}
    assert plan.rows[2].changes == {"title": "johtaja"}
    assert "same name at the same organisation" in plan.rows[2].reasons[0]
    assert plan.rows[3].reasons == ["Duplicate of row 3 in this file."]
    assert plan.rows[4].reasons == ['"ei-osoite" is not a valid e-mail address.']
    assert plan.rows[5].reasons == ['"12" is not a valid phone number.']
    assert plan.rows[6].reasons == ['Unknown municipality "Kuopio".']
    assert plan.new_organisations == ["Uusi Yhdistys ry"]
    assert plan.counts == {"create": 2, "update": 2, "skip": 1, "error": 3}
    assert (Contact.objects.count(), Organisation.objects.count()) == before
    assert batch.state == ImportState.PREVIEWED


def test_confirmed_import_does_exactly_what_the_preview_said(directory):
    world = directory
    data = csv_bytes(
        HEADER,
        "Uusi;Henkilö;uusi@example.fi;040 1234567;Pohjois-Savon liitto;suunnittelija;Keitele",
        "Ville;Väisänen;ville@example.fi;0401112223;;;",
        "Toinen;Uusi;;;Uusi Yhdistys ry;;",
        "Virhe;Osoite;ei-osoite;;;;",
    )
    batch, plan = preview(world.alice, data)
    contacts_before = Contact.objects.count()

    result = apply_import(batch=batch, by=world.alice)

    assert result.counts == plan.counts == {"create": 2, "update": 1, "skip": 0, "error": 1}
    assert Contact.objects.count() == contacts_before + 2
    new = Contact.objects.get(email="uusi@example.fi")
    assert (new.first_name, new.title, new.phone.as_e164, new.organisation, new.municipality) == (
        "Uusi",
        "suunnittelija",
        "+358401234567",
        world.council,
        world.keitele,
    )
    assert new.created_by == world.alice
    assert Contact.objects.get(last_name="Väisänen").phone.as_e164 == "+358401112223"
    assert Contact.objects.get(last_name="Uusi").organisation.name == "Uusi Yhdistys ry"
    batch.refresh_from_db()
    assert batch.state == ImportState.APPLIED and batch.rows == []
    with pytest.raises(Exception, match="already been applied"):
        apply_import(batch=batch, by=world.alice)


def test_import_refuses_a_preview_the_directory_has_outgrown(directory):
    world = directory
    batch, _plan = preview(world.alice, csv_bytes(HEADER, "Uusi;Henkilö;uusi@example.fi;;;;"))
    Contact.objects.create(first_name="Uusi", last_name="Henkilö", email="uusi@example.fi")
    count = Contact.objects.count()

    with pytest.raises(StalePreviewError):
        apply_import(batch=batch, by=world.alice)
    assert Contact.objects.count() == count


def test_import_is_one_transaction(directory, monkeypatch):
    world = directory
    batch, _plan = preview(
        world.alice, csv_bytes(HEADER, "Uusi;Henkilö;;;Aivan Uusi Oy;;", "Toka;Henkilö;;;;;")
    )
    organisations = Organisation.objects.count()

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Contact.objects, "bulk_create", explode)
    with pytest.raises(RuntimeError):
        apply_import(batch=batch, by=world.alice)
    assert Organisation.objects.count() == organisations
    assert ImportBatch.objects.get(pk=batch.pk).state == ImportState.PREVIEWED


def test_only_the_uploader_applies_or_discards_an_import(directory):
    world = directory
    batch, _plan = preview(world.alice, csv_bytes(HEADER, "Uusi;Henkilö;;;;;"))

    with pytest.raises(PermissionDenied):
        apply_import(batch=batch, by=world.bob)
    discard_import(batch=batch, by=world.alice)
    batch.refresh_from_db()
    assert batch.state == ImportState.DISCARDED and batch.rows == []


def test_preview_showing_known_people_writes_one_access_log_row(directory):
    world = directory
    preview(world.alice, csv_bytes(HEADER, "Ville;Väisänen;ville@example.fi;;;;", "A;B;;;;;"))

    [entry] = AccessLog.objects.all()
    assert entry.user == world.alice and entry.purpose == AccessPurpose.IMPORT
    assert entry.contact_ids == [Contact.objects.get(last_name="Väisänen").pk]


def test_xlsx_import_reads_numbers_and_finnish_headers(world):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Sukunimi", "Etunimi", "Puhelin", "Päättäjä"])
    sheet.append(["Korhonen", "Kaisa", 401234567, "kyllä"])
    sheet.append(["Nieminen", None, None, None])
    out = io.BytesIO()
    workbook.save(out)

    batch, plan = preview(world.alice, out.getvalue(), name="lista.xlsx")
    apply_import(batch=batch, by=world.alice)

    assert actions(plan) == [(2, CREATE), (3, CREATE)]
    kaisa = Contact.objects.get(last_name="Korhonen")
    assert kaisa.phone.as_e164 == "+358401234567" and kaisa.is_decision_maker


def test_windows_encoded_csv_with_commas_is_read(world):
    data = csv_bytes("Sukunimi,Etunimi", "Hämäläinen,Äijö", encoding="cp1252")
    _batch, plan = preview(world.alice, data)

    assert plan.rows[0].values["last_name"] == "Hämäläinen"
    assert plan.rows[0].values["first_name"] == "Äijö"


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "a.csv", "The file is empty."),
        (b"  \r\n ", "a.csv", "The file is empty."),
        (b";;\r\n;;\r\n", "a.csv", "The file is empty."),
        (b"Sukunimi;Etunimi\r\n", "a.csv", "header row but no data rows"),
        (b"Nimi;Osoite\r\nA;B\r\n", "a.csv", 'Required column missing: "sukunimi"'),
        (b"Sukunimi;Last name\r\nA;B\r\n", "a.csv", "Two columns hold the last name"),
        (b"\x81\x8d\x8f\x90;\x9d\r\n", "a.csv", "character encoding is not recognised"),
        ("Sukunimi\r\nA\r\n".encode("utf-16-le"), "a.csv", "not a text (CSV) file"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "a.xls", "Old Excel files (.xls)"),
        (b"PK\x03\x04 not really a zip", "a.xlsx", "Excel file cannot be opened"),
        (b"garbage", "a.xlsx", "Excel file cannot be opened"),
    ],
)
def test_malformed_files_give_a_clear_error(world, data, name, message):
    with pytest.raises(ImportFileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        preview(world.alice, data, name=name)
    assert ImportBatch.objects.count() == 0


def test_utf16_with_bom_is_read(world):
    _batch, plan = preview(world.alice, "Sukunimi\tEtunimi\r\nKorhonen\tKaisa\r\n".encode("utf-16"))
    assert plan.rows[0].values["first_name"] == "Kaisa"


def test_too_many_rows_is_refused(world, settings):
    settings.IMPORT_MAX_ROWS = 3
    with pytest.raises(ImportFileError, match="too many rows"):
        read_table(csv_bytes("Sukunimi", "A", "B", "C", "D"))


def test_nul_bytes_and_overlong_values_are_row_errors(world):
    data = csv_bytes("Sukunimi;Titteli", "Korhonen;" + "x" * 201, "Nie\x01minen;")
    _batch, plan = preview(world.alice, data)

    assert plan.rows[0].reasons == ["title is too long (at most 200 characters)."]
    assert plan.rows[1].reasons == ["last name contains control characters."]


@pytest.mark.slow
def test_ten_thousand_rows_preview_and_apply_in_seconds(world):
    lines = [HEADER] + [
        f"Etu{i};Suku{i};henkilo{i}@example.fi;040{i:07d};Organisaatio {i % 50};;"
        for i in range(10_000)
    ]
    started = time.monotonic()
    batch, plan = preview(world.alice, csv_bytes(*lines))
    assert plan.counts == {"create": 10_000, "update": 0, "skip": 0, "error": 0}
    assert len(plan.new_organisations) == 50
    apply_import(batch=batch, by=world.alice)
    assert Contact.objects.filter(last_name__startswith="Suku").count() == 10_000
    assert time.monotonic() - started < 60


def test_organisations_import_matches_business_id_and_links_parents(world):
    Organisation.objects.create(name="Vanha Nimi Oy", business_id="1234567-1")
    header = "Nimi;Tyyppi;Y-tunnus;Emo-organisaatio;Kunta"
    data = csv_bytes(
        header,
        "Uusi Nimi Oy;yritys;1234567-1;;Tervo",  # same business ID: fills kind, municipality
        "Sisä-Savon kehitys;yhdistys;7654321-2;;",
        "Hankeyksikkö;;;Sisä-Savon kehitys;",  # its parent is the row above
        "Orpo yksikkö;;;Ei Ole Olemassa;",
        "Huono;;1234567-9;;",
        "Outo;avaruusolio;;;",
        "Pohjois-Savon liitto;;;;",  # already there, nothing new
    )
    batch, plan = preview(world.alice, data, kind=ImportKind.ORGANISATIONS, name="org.csv")

    assert actions(plan) == [
        (2, UPDATE),
        (3, CREATE),
        (4, CREATE),
        (5, ERROR),
        (6, ERROR),
        (7, ERROR),
        (8, SKIP),
    ]
    assert plan.rows[0].changes == {"kind": "company", "municipality_id": world.tervo.pk}
    apply_import(batch=batch, by=world.alice)
    unit = Organisation.objects.get(name="Hankeyksikkö")
    assert unit.parent.name == "Sisä-Savon kehitys"
    assert unit.parent.kind == OrganisationKind.ASSOCIATION
    assert Organisation.objects.get(business_id="1234567-1").name == "Vanha Nimi Oy"


def test_trustee_without_directory_rights_cannot_import(world):
    admin = make_user("pääkäyttäjä", Role.ADMIN, world.keitele, is_active=False)
    with pytest.raises(PermissionDenied):
        preview(admin, csv_bytes("Sukunimi", "A"))


# --- The duplicate finder ---------------------------------------------------------------------


def test_folding_treats_finnish_letters_case_and_punctuation_alike():
    assert fold("Hämäläinen") == fold("HAMALAINEN") == fold("Ha\u0308ma\u0308la\u0308inen")
    assert fold("Åström") == "astrom"
    assert name_key("Anna-Liisa", " Öhman ") == name_key("anna liisa", "ohman")


def test_duplicate_finder_groups_same_email_and_same_name_at_same_organisation(world):
    a = Contact.objects.create(
        first_name="Aino", last_name="Hämäläinen", organisation=world.council
    )
    b = Contact.objects.create(
        first_name="AINO", last_name="Hamalainen", organisation=world.council
    )
    elsewhere = Contact.objects.create(first_name="Aino", last_name="Hämäläinen")
    c = Contact.objects.create(last_name="Yksi", email="sama@example.fi")
    d = Contact.objects.create(last_name="Kaksi", secondary_email="SAMA@example.fi")
    gone = Contact.objects.create(last_name="Poistettu", email="sama@example.fi")
    Contact.objects.filter(pk=gone.pk).update(anonymised_at=world.m1.occurred_at)

    groups = find_duplicate_contacts()

    assert [[x.pk for x in g.contacts] for g in groups] == [[a.pk, b.pk], [c.pk, d.pk]]
    assert groups[0].reasons == ["same name at the same organisation"]
    assert groups[1].reasons == ["same e-mail address"]
    assert elsewhere not in [x for g in groups for x in g.contacts]


def test_previews_nobody_confirmed_are_forgotten_after_a_day(world, time_machine):
    time_machine.move_to("2026-05-01T10:00:00+03:00", tick=False)
    old, _plan = preview(world.alice, csv_bytes("Sukunimi", "Vanha"))
    time_machine.move_to("2026-05-02T11:00:00+03:00", tick=False)
    new, _plan = preview(world.alice, csv_bytes("Sukunimi", "Uusi"))

    old.refresh_from_db()
    assert (old.state, old.rows) == (ImportState.DISCARDED, [])
    assert ImportBatch.objects.get(pk=new.pk).state == ImportState.PREVIEWED


def test_overlong_addresses_and_control_characters_anywhere_are_row_errors(world):
    long_email = "a" * 250 + "@example.fi"
    data = csv_bytes(
        "Sukunimi;Sähköposti;Organisaatio", f"Pitkä;{long_email};", "Nul;;Firma\x00 Oy"
    )
    _batch, plan = preview(world.alice, data.replace(b"\x00", b"\x01"))

    assert [r.action for r in plan.rows] == [ERROR, ERROR]
    assert plan.rows[0].reasons == ["e-mail is too long (at most 254 characters)."]
    assert plan.rows[1].reasons == ["organisation contains control characters."]
    org_data = csv_bytes("Nimi;Verkkosivut", "Pitkä Oy;" + "x" * 190 + ".fi")
    _batch, plan = preview(world.alice, org_data, kind=ImportKind.ORGANISATIONS)
    assert plan.rows[0].action == ERROR
