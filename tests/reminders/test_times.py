"""Due times are wall-clock times in Europe/Helsinki, right across the summer-time changes.

In 2026 summer time (UTC+3) begins on Sunday 29 March at 03:00 and ends on Sunday 25 October
at 04:00 (back to 03:00, UTC+2).
"""

import datetime

import pytest

from advocacy.reminders import (
    at_local_time,
    next_local_time,
    next_weekday_time,
    parse_clock,
    week_key,
)

UTC = datetime.UTC
NINE = datetime.time(9, 0)


def utc(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (datetime.date(2026, 3, 28), utc(2026, 3, 28, 7, 0)),  # winter time, UTC+2
        (datetime.date(2026, 3, 29), utc(2026, 3, 29, 6, 0)),  # the change day, already UTC+3
        (datetime.date(2026, 3, 30), utc(2026, 3, 30, 6, 0)),
        (datetime.date(2026, 10, 24), utc(2026, 10, 24, 6, 0)),  # summer time, UTC+3
        (datetime.date(2026, 10, 25), utc(2026, 10, 25, 7, 0)),  # back to UTC+2 at 04:00
        (datetime.date(2026, 10, 26), utc(2026, 10, 26, 7, 0)),
    ],
)
def test_nine_oclock_in_helsinki_stays_nine_oclock_across_summer_time_changes(day, expected):
    assert at_local_time(day, NINE) == expected


def test_a_wall_time_skipped_by_spring_forward_lands_an_hour_later():
    # 03:30 does not exist on 29 March 2026: the clock jumps from 03:00 to 04:00.
    moment = at_local_time(datetime.date(2026, 3, 29), datetime.time(3, 30))
    assert moment == utc(2026, 3, 29, 1, 30)  # = 04:30 summer time


def test_a_wall_time_repeated_by_fall_back_is_its_first_occurrence():
    # 03:30 happens twice on 25 October 2026; the first is still summer time (UTC+3).
    moment = at_local_time(datetime.date(2026, 10, 25), datetime.time(3, 30))
    assert moment == utc(2026, 10, 25, 0, 30)


def test_day_before_reminder_across_the_spring_change_is_a_23_hour_day_earlier():
    before = at_local_time(datetime.date(2026, 3, 28), NINE)
    on_the_day = at_local_time(datetime.date(2026, 3, 29), NINE)
    assert on_the_day - before == datetime.timedelta(hours=23)


def test_next_local_time_is_today_until_the_time_has_passed():
    morning = utc(2026, 3, 29, 5, 59)  # 08:59 summer time
    assert next_local_time(morning, NINE) == utc(2026, 3, 29, 6, 0)
    assert next_local_time(utc(2026, 3, 29, 6, 0), NINE) == utc(2026, 3, 29, 6, 0)
    assert next_local_time(utc(2026, 3, 29, 6, 1), NINE) == utc(2026, 3, 30, 6, 0)


def test_next_local_time_uses_the_local_date_not_the_utc_date():
    # 23:30 UTC on 28 March is already 01:30 on the 29th in Helsinki.
    assert next_local_time(utc(2026, 3, 28, 23, 30), NINE) == utc(2026, 3, 29, 6, 0)


def test_next_weekday_time_across_the_autumn_change():
    friday = utc(2026, 10, 23, 12, 0)
    monday_eight = next_weekday_time(friday, 0, datetime.time(8, 0))
    assert monday_eight == utc(2026, 10, 26, 6, 0)  # 08:00 winter time
    assert week_key(monday_eight) == "week:2026-W44"


def test_next_weekday_time_on_that_weekday_after_the_time_is_a_week_later():
    monday_noon = utc(2026, 10, 26, 10, 0)
    assert next_weekday_time(monday_noon, 0, datetime.time(8, 0)) == utc(2026, 11, 2, 6, 0)


def test_clock_settings_are_parsed_as_times_of_day():
    assert parse_clock("09:00") == NINE
    assert parse_clock("7:30".zfill(5)) == datetime.time(7, 30)
