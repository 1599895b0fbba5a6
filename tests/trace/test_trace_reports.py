"""The advocacy report, checked against figures counted by hand from the fixed data set.

Spring 2026 (1 Jan–30 Jun) holds m1 (Keitele, joint, topic transport), m2 (Keitele,
municipality-only, transport), m3 (Tervo, joint, marketing), m4 (Tervo, restricted, marketing)
and m6 (SavoGrow, joint, transport, 30 June 23:30 Helsinki). m5 (December) and m7 (1 July
00:10) fall outside. The coordinator sees m1, m2, m3, m6; Carol of Vesanto sees m1, m3, m6.
"""

from __future__ import annotations

import csv
import datetime
import io

from openpyxl import load_workbook

from advocacy import services
from advocacy.models import Visibility
from advocacy.reports import ReportFilters, build_report, report_csv, report_xlsx
from crm.models import OrganisationKind

from .conftest import at

SPRING = dict(start=datetime.date(2026, 1, 1), end=datetime.date(2026, 6, 30))
TODAY = datetime.date(2026, 6, 20)


def test_coordinator_report_counts_the_visible_meetings_of_the_period(world):
    report = build_report(user=world.coordinator, filters=ReportFilters(**SPRING), today=TODAY)

    assert report.meeting_count == 4
    assert report.by_topic == [("Liikenneyhteydet", 3), ("Alueen markkinointi", 1)]
    assert report.by_municipality == [("Keitele", 2), ("SavoGrow", 1), ("Tervo", 1)]
    assert [m.month for m in report.months] == [1, 2, 3, 4, 5, 6]
    assert report.per_month == {
        "Keitele": [1, 1, 0, 0, 0, 0],
        "SavoGrow": [0, 0, 0, 0, 0, 1],
        "Tervo": [0, 1, 0, 0, 0, 0],
    }


def test_report_names_decision_makers_met_and_not_met(world):
    report = build_report(user=world.coordinator, filters=ReportFilters(**SPRING), today=TODAY)

    met = [(r.contact, r.meetings) for r in report.decision_makers_met]
    # Liisa: m2 and m3; Matti: m1 (his restricted m4 is not the coordinator's to count).
    assert met == [(world.official, 2), (world.mp, 1)]
    assert [r.contact for r in report.decision_makers_not_met] == [world.unmet]
    assert report.contact_ids == sorted([world.official.pk, world.mp.pk, world.unmet.pk])


def test_report_goal_status_changes_come_from_the_history_of_the_period(world):
    report = build_report(user=world.coordinator, filters=ReportFilters(**SPRING), today=TODAY)

    changes = {
        row.goal.title: [(c.at.date(), c.old, c.new) for c in row.changes]
        for row in report.goals_changed
    }
    # The road goal went active on 10 March (achieved only on 5 July); the brand goal was new.
    assert changes == {
        "Vt 77 perusparannus": [(datetime.date(2026, 3, 10), "proposed", "active")],
        "Yhteinen brändi": [(datetime.date(2026, 2, 1), "", "proposed")],
    }
    counts = {status: n for status, _label, n in report.goal_status_counts}
    assert counts == {"proposed": 1, "active": 1, "achieved": 0, "dropped": 0}


def test_report_follow_ups_due_in_the_period_by_state(world):
    report = build_report(user=world.coordinator, filters=ReportFilters(**SPRING), today=TODAY)

    # f1 done, f2 overdue (1 March), f4 cancelled, f6 open (30 June); f3 belongs to the
    # restricted m4, f5 is due in August.
    assert report.follow_ups == {"done": 1, "open": 1, "overdue": 1, "cancelled": 1}
    assert report.overdue_follow_ups == [world.f2]


def test_report_of_a_user_outside_keeps_out_municipality_and_restricted_meetings(world):
    report = build_report(user=world.carol, filters=ReportFilters(**SPRING), today=TODAY)

    assert report.meeting_count == 3
    assert report.by_topic == [("Liikenneyhteydet", 2), ("Alueen markkinointi", 1)]
    assert report.by_municipality == [("Keitele", 1), ("SavoGrow", 1), ("Tervo", 1)]
    assert [(r.contact, r.meetings) for r in report.decision_makers_met] == [
        (world.mp, 1),
        (world.official, 1),
    ]
    # f2 is of the municipality-only m2: not Carol's to count.
    assert report.follow_ups == {"done": 1, "open": 1, "overdue": 0, "cancelled": 1}


def test_restricted_meeting_counts_only_for_its_participants(world):
    bob = build_report(user=world.bob, filters=ReportFilters(**SPRING), today=TODAY)
    alice = build_report(user=world.alice, filters=ReportFilters(**SPRING), today=TODAY)

    assert bob.meeting_count == 4  # m1, m3, m4 (his own), m6
    assert ("Alueen markkinointi", 2) in bob.by_topic
    assert alice.meeting_count == 4  # m1, m2, m3, m6
    assert ("Alueen markkinointi", 1) in alice.by_topic
    assert "Luottamuksellinen" in report_csv(bob).decode("utf-8-sig")
    assert "Luottamuksellinen" not in report_csv(alice).decode("utf-8-sig")
    assert "Salainen" not in report_csv(alice).decode("utf-8-sig")


def test_report_filters_by_municipality_topic_goal_and_organisation_kind(world):
    def count(**filters):
        filters = ReportFilters(**SPRING, **filters)
        return build_report(user=world.coordinator, filters=filters, today=TODAY).meeting_count

    assert count(municipality=world.keitele) == 2
    assert count(municipality=world.tervo) == 1
    assert count(topic=world.transport) == 3
    assert count(goal=world.road) == 1
    assert count(organisation_kind=OrganisationKind.MINISTRY) == 3  # m2, m3 (the unit), m6
    assert count(organisation_kind=OrganisationKind.COMPANY) == 1  # m3
    assert count(municipality=world.keitele, topic=world.marketing) == 0


def test_report_filter_by_topic_narrows_goals_and_follow_ups(world):
    report = build_report(
        user=world.coordinator,
        filters=ReportFilters(**SPRING, topic=world.marketing),
        today=TODAY,
    )

    assert [row.goal for row in report.goals_changed] == [world.brand]
    assert report.follow_ups == {"done": 0, "open": 1, "overdue": 0, "cancelled": 0}


def test_report_csv_and_xlsx_carry_the_same_figures(world):
    report = build_report(user=world.coordinator, filters=ReportFilters(**SPRING), today=TODAY)

    rows = list(csv.reader(io.StringIO(report_csv(report).decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["section", "item", "detail", "value"]
    assert ["By topic", "Liikenneyhteydet", "", "3"] in rows
    assert ["Per month", "2026-02", "Tervo", "1"] in rows
    assert ["Decision-makers met", "Liisa Virkamies", "Tieyksikkö | 2", "2026-02-20 10:00"] in rows

    workbook = load_workbook(io.BytesIO(report_xlsx(report)))
    assert workbook["By municipality"]["A2"].value == "Keitele"
    assert workbook["By municipality"]["B2"].value == 2
    sheet = workbook["Summary"]
    assert [c.value for c in sheet[3]] == ["meetings", 4]


def test_report_csv_defuses_formulas(world):
    world.transport.name = "=HYPERLINK(1)"
    world.transport.save()
    report = build_report(user=world.coordinator, filters=ReportFilters(**SPRING), today=TODAY)

    assert "'=HYPERLINK(1)" in report_csv(report).decode("utf-8-sig")


def test_not_met_list_dates_only_meetings_the_reader_may_see(world):
    services.log_meeting(
        author=world.bob,
        title="Salainen tapaaminen Pekan kanssa",
        occurred_at=at(2025, 10, 1),
        visibility=Visibility.RESTRICTED,
        contacts=[world.unmet],
    )
    carol = build_report(user=world.carol, filters=ReportFilters(**SPRING), today=TODAY)
    bob = build_report(user=world.bob, filters=ReportFilters(**SPRING), today=TODAY)

    assert [(r.contact, r.last_met) for r in carol.decision_makers_not_met] == [(world.unmet, None)]
    assert [(r.contact, r.last_met) for r in bob.decision_makers_not_met] == [
        (world.unmet, at(2025, 10, 1))
    ]
