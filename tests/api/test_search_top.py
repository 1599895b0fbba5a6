"""Search lists its best matches only (issue 8): contacts and organisations ranked in tiers read
off indexes, meetings newest first per way a word matches; cut at SEARCH_TOP_N, after the other
filters — through the model, the API and the web list."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from advocacy.models import Meeting, Visibility
from crm.models import Contact, Organisation
from crm.search import SEARCH_TOP_N
from tests.api.helpers import ids
from tests.factories import ContactFactory, OrganisationFactory, municipality

pytestmark = pytest.mark.django_db


def names(queryset) -> list[str]:
    return [f"{c.first_name} {c.last_name}" for c in queryset]


def test_names_beginning_with_the_word_come_first_then_names_containing_it_then_the_rest():
    agency = OrganisationFactory(name="Hännisen säätiö")
    ContactFactory(first_name="Aino", last_name="Mäkihänninen", organisation=None)
    ContactFactory(first_name="Hännikki", last_name="Aalto", organisation=None)
    ContactFactory(first_name="Eero", last_name="Hänninen", organisation=None)
    ContactFactory(first_name="Ville", last_name="Virtanen", organisation=agency)
    ContactFactory(first_name="Liisa", last_name="Lahti", title="Hänninen-työryhmän jäsen")
    ContactFactory(first_name="Pekka", last_name="Korhonen", organisation=None)

    result = names(Contact.objects.search("hänni"))

    assert result[:3] == ["Eero Hänninen", "Hännikki Aalto", "Aino Mäkihänninen"]
    assert sorted(result[3:]) == ["Liisa Lahti", "Ville Virtanen"]


def test_an_exact_surname_ranks_above_the_longer_names_it_begins():
    ContactFactory(first_name="Matti", last_name="Hännijärvi")
    ContactFactory(first_name="Maija", last_name="Hänni")

    assert names(Contact.objects.search("Hanni")) == ["Maija Hänni", "Matti Hännijärvi"]


def test_every_word_must_match_and_the_longest_leads():
    ContactFactory(first_name="Matti", last_name="Hänninen", title="", organisation=None)
    ContactFactory(first_name="Maija", last_name="Hänninen", title="", organisation=None)
    ContactFactory(first_name="Matti", last_name="Virtanen", title="", organisation=None)

    assert names(Contact.objects.search("matti hänninen")) == ["Matti Hänninen"]
    assert names(Contact.objects.search("HANNINEN mat")) == ["Matti Hänninen"]


def test_a_misspelt_name_is_still_found_below_the_names_that_contain_the_word():
    ContactFactory(first_name="Outi", last_name="Järvinen", organisation=None)

    assert names(Contact.objects.search("Jarvinne")) == ["Outi Järvinen"]


def test_similar_names_are_looked_up_only_when_no_name_holds_the_word():
    ContactFactory(first_name="Outi", last_name="Virtanen", organisation=None)
    ContactFactory(first_name="Olli", last_name="Virtaneen", organisation=None)

    assert names(Contact.objects.search("virtanen")) == ["Outi Virtanen"]
    assert names(Contact.objects.search("virtaneen")) == ["Olli Virtaneen"]
    assert sorted(names(Contact.objects.search("virtanem"))) == [
        "Olli Virtaneen",
        "Outi Virtanen",
    ]


def test_a_word_of_one_or_two_letters_finds_the_names_it_begins_only():
    ek = ContactFactory(first_name="Aino", last_name="Ek", email="ab@example.fi")
    ContactFactory(first_name="Eero", last_name="Mäkinen", email="mek@example.fi")

    assert names(Contact.objects.search("ek")) == ["Aino Ek"]
    assert names(Contact.objects.search("ab")) == []  # not inside an e-mail address
    assert [c.pk for c in Contact.objects.search("ai ek")] == [ek.pk]


def test_a_like_wildcard_is_no_prefix_wildcard():
    ContactFactory(first_name="Aino", last_name="Hänninen")

    assert names(Contact.objects.search("h%")) == []
    assert names(Contact.objects.search("h_nninen")) == []


def many(count: int, last_name: str, **fields) -> list[Contact]:
    return Contact.objects.bulk_create(
        Contact(first_name=f"Etu{n:03}", last_name=last_name, **fields) for n in range(count)
    )


def test_only_the_top_matches_are_listed_in_name_order_of_the_best_tier():
    many(SEARCH_TOP_N + 20, "Hänninen")

    result = list(Contact.objects.search("hänninen"))

    assert len(result) == SEARCH_TOP_N
    # The first SEARCH_TOP_N of the names in index order: the tier is cut, not sampled.
    assert [c.first_name for c in result] == [f"Etu{n:03}" for n in range(SEARCH_TOP_N)]


def test_the_top_matches_are_those_of_the_filtered_contacts():
    tervo, vesanto = municipality("Tervo"), municipality("Vesanto")
    many(SEARCH_TOP_N + 5, "Hänninen", municipality=tervo)
    mine = ContactFactory(first_name="Ööpi", last_name="Hänninen", municipality=vesanto)

    found = Contact.objects.filter(municipality=vesanto).search("hänninen")

    assert [c.pk for c in found] == [mine.pk]


def test_the_prefix_tiers_read_the_name_key_indexes_in_order():
    ContactFactory.create_batch(3)
    with CaptureQueriesContext(connection) as queries:
        Contact.objects.search("hänni")
    name_tiers = queries.captured_queries[0]["sql"]  # the values bound, as sent

    def plan(*settings: str) -> str:
        with connection.cursor() as cursor:
            # A handful of rows is cheapest to scan whole: take that off the table.
            for setting in settings:
                cursor.execute(f"SET LOCAL {setting} = off")
            cursor.execute("EXPLAIN " + name_tiers)
            return "\n".join(row[0] for row in cursor.fetchall())

    in_order = plan("enable_seqscan")
    assert "contact_last_name_key" in in_order, in_order
    assert "contact_first_name_key" in in_order, in_order
    # The names containing the word: the trigram index (when walking the ids is off too).
    assert "contact_name_trgm" in plan("enable_seqscan", "enable_indexscan")


def test_the_other_fields_are_looked_up_only_when_the_names_leave_room(
    django_assert_num_queries,
):
    agency = OrganisationFactory(name="Hänninen-säätiö")
    by_name = ContactFactory(first_name="Eero", last_name="Hänninen", organisation=None)
    by_organisation = ContactFactory(first_name="Ville", last_name="Virta", organisation=agency)

    # The names fill no list of SEARCH_TOP_N: the other fields are a second query (the
    # search's own queries run when it is called; the rows are read when listed).
    with django_assert_num_queries(2):
        searched = Contact.objects.search("hänninen")
    assert [c.pk for c in searched] == [by_name.pk, by_organisation.pk]

    many(SEARCH_TOP_N, "Hänninen")
    with django_assert_num_queries(1):
        searched = Contact.objects.search("hänninen")
    assert by_organisation.pk not in {c.pk for c in searched}


def test_a_full_name_the_names_hold_is_answered_by_the_names_alone(django_assert_num_queries):
    seppo = ContactFactory(first_name="Seppo", last_name="Kallio", organisation=None)
    ContactFactory(first_name="Aino", last_name="Kallio", title="Seppo-hankkeen vetäjä")

    with django_assert_num_queries(1):
        searched = Contact.objects.search("seppo kallio")
    assert [c.pk for c in searched] == [seppo.pk]
    # No name holds both words: the other fields are looked at.
    assert names(Contact.objects.search("vetäjä kallio")) == ["Aino Kallio"]


# --- Through the API and the web list ---------------------------------------------------------


def test_api_search_lists_the_best_first_and_pages_through_them_once(client_for, trustee):
    many(7, "Virta")
    exact = ContactFactory(first_name="Ville", last_name="Hänni")
    prefixed = many(5, "Hänninen")
    inside = ContactFactory(first_name="Aino", last_name="Mäkihänninen")
    client = client_for(trustee)

    pages, url, params = [], "/api/v1/contacts/", {"search": "hänni", "page_size": 2}
    while url:
        response = client.get(url, params)
        pages.append(ids(response))
        url, params = response.json()["next"], None

    assert [pk for page in pages for pk in page] == [
        exact.pk,
        *[c.pk for c in prefixed],
        inside.pk,
    ]
    assert all(len(page) <= 2 for page in pages)


def test_api_search_keeps_the_other_filters_and_an_asked_ordering(client_for, trustee):
    tervo, vesanto = municipality("Tervo"), municipality("Vesanto")
    many(SEARCH_TOP_N + 5, "Hänninen", municipality=tervo)
    mine = ContactFactory(first_name="Ööpi", last_name="Hänninen", municipality=vesanto)
    other = ContactFactory(first_name="Aapo", last_name="Mäkihänninen", municipality=vesanto)
    client = client_for(trustee)

    response = client.get("/api/v1/contacts/", {"search": "hänni", "municipality": vesanto.pk})
    assert ids(response) == [mine.pk, other.pk]
    ordered = client.get(
        "/api/v1/contacts/",
        {"search": "hänni", "municipality": vesanto.pk, "ordering": "-last_name"},
    )
    assert ids(ordered) == [other.pk, mine.pk]


def test_web_list_says_when_only_the_best_matches_are_listed(client, staff):
    many(SEARCH_TOP_N + 1, "Hänninen")
    ContactFactory(last_name="Virtanen")
    client.force_login(staff)

    capped = client.get("/contacts/", {"q": "hänni"})
    few = client.get("/contacts/", {"q": "virtanen"})

    assert capped.status_code == 200
    assert capped.context["page"].paginator.count == SEARCH_TOP_N
    assert f"Vain {SEARCH_TOP_N} parasta osumaa" in capped.content.decode()
    assert few.context["page"].paginator.count == 1
    assert "parasta osumaa" not in few.content.decode()


# --- Meetings and organisations ----------------------------------------------------------------


def test_a_meeting_search_lists_the_newest_matches_of_each_way_a_word_matches(trustee):
    start = timezone.now() - datetime.timedelta(days=SEARCH_TOP_N + 30)
    common = Meeting.objects.bulk_create(
        Meeting(
            title=f"Kuntakokous {n}",
            notes="Kunta ja maakunta.",
            occurred_at=start + datetime.timedelta(days=n),
            author=trustee,
            municipality=trustee.municipality,
            visibility=Visibility.JOINT,
        )
        for n in range(SEARCH_TOP_N + 20)
    )
    newest_first = sorted(common, key=lambda m: m.occurred_at, reverse=True)

    found = list(Meeting.objects.visible_to(trustee).search("kunta").order_by("-occurred_at"))

    assert [m.pk for m in found] == [m.pk for m in newest_first[:SEARCH_TOP_N]]


def test_organisations_beginning_with_the_word_come_first_and_only_the_best_are_listed():
    OrganisationFactory(name="Pohjois-Savon liitto")
    OrganisationFactory(name="Savonlinnan kaupunki")
    OrganisationFactory(name="Savo-Karjalan yhtymä", notes="")
    OrganisationFactory(name="Muu yhdistys", notes="Toimii Savossa.")
    Organisation.objects.bulk_create(
        Organisation(name=f"Savon yritys {n:03}") for n in range(SEARCH_TOP_N)
    )

    found = [o.name for o in Organisation.objects.search("savo")]

    assert len(found) == SEARCH_TOP_N
    assert all(name.startswith("Savo") for name in found)
    assert found[0] == "Savo-Karjalan yhtymä"  # the name most like the word
    few = [o.name for o in Organisation.objects.search("savossa")]
    assert few == ["Muu yhdistys"]
