"""Calendars (RFC 5545): a subscribable feed per user and an .ics file per meeting.

The feed holds the user's own meetings (logged by them or with them among our participants, as
far as they may still see them) and the due dates of their open follow-ups. Its URL carries a
secret; only the secret's SHA-256 digest is stored, and revoking it ends the subscription.

Events carry the title, time, place and a link back — no notes and no names of the people met:
a subscribed calendar is copied to servers outside the municipalities' control.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from collections.abc import Iterable
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import User

from .models import CalendarFeedToken, FollowUp, Meeting, Visibility

if TYPE_CHECKING:
    # icalendar (3 MB of a web worker's memory) is imported when a calendar is made.
    from icalendar import Calendar, Event

MEETING_LENGTH = datetime.timedelta(hours=1)
# How far back the feed reaches; calendar clients fetch the whole feed on every refresh.
FEED_HISTORY = datetime.timedelta(days=365)
PRODID = "-//SavoGrow//Kuusikko//FI"
FEED_USE_PERIOD = datetime.timedelta(hours=1)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def create_feed_token(*, user: User, label: str = "") -> tuple[CalendarFeedToken, str]:
    """A new secret feed URL token for `user`; returns the row and the secret (shown once)."""
    secret = secrets.token_urlsafe(32)
    feed = CalendarFeedToken.objects.create(user=user, token_digest=_digest(secret), label=label)
    return feed, secret


@transaction.atomic
def revoke_feed_token(*, feed: CalendarFeedToken, by: User) -> None:
    CalendarFeedToken.objects.filter(pk=feed.pk, user=by, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def use_feed_token(secret: str) -> tuple[User | None, bool]:
    """The active owner of an unrevoked token (or None), and whether this use starts a new
    hour of use. `last_used_at` is written at most hourly: calendar clients poll often."""
    if not secret or len(secret) > 100:
        return None, False
    feed = (
        CalendarFeedToken.objects.active()
        .select_related("user")
        .filter(token_digest=_digest(secret))
        .first()
    )
    if feed is None:
        return None, False
    now = timezone.now()
    if feed.last_used_at is None or now - feed.last_used_at > FEED_USE_PERIOD:
        CalendarFeedToken.objects.filter(pk=feed.pk).update(last_used_at=now)
        return feed.user, True
    return feed.user, False


def user_for_token(secret: str) -> User | None:
    return use_feed_token(secret)[0]


def feed_meetings(user: User, now: datetime.datetime | None = None):
    now = now or timezone.now()
    participant = Exists(
        Meeting.our_participants.through.objects.filter(meeting_id=OuterRef("pk"), user_id=user.pk)
    )
    return (
        Meeting.objects.visible_to(user)
        .filter(Q(author_id=user.pk) | participant, occurred_at__gte=now - FEED_HISTORY)
        .order_by("occurred_at", "pk")
    )


def feed_follow_ups(user: User):
    return (
        FollowUp.objects.visible_to(user)
        .open()
        .filter(assignee_id=user.pk)
        .select_related("meeting")
        .order_by("due_date", "pk")
    )


def _calendar(name: str) -> Calendar:
    from icalendar import Calendar

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", settings.TIME_ZONE)
    return calendar


def _meeting_event(meeting: Meeting, base_url: str) -> Event:
    from icalendar import Event

    zone = ZoneInfo(settings.TIME_ZONE)
    start = meeting.occurred_at.astimezone(zone)
    event = Event()
    event.add("uid", f"meeting-{meeting.pk}@kuusikko")
    event.add("dtstamp", meeting.updated_at or timezone.now())
    event.add("last-modified", meeting.updated_at or timezone.now())
    event.add("dtstart", start)
    event.add("dtend", start + MEETING_LENGTH)
    event.add("summary", meeting.title)
    if meeting.place:
        event.add("location", meeting.place)
    event.add("categories", [str(meeting.get_kind_display())])
    event.add("class", "PUBLIC" if meeting.visibility == Visibility.JOINT else "PRIVATE")
    if base_url:
        event.add("url", f"{base_url.rstrip('/')}/meetings/{meeting.pk}/")
    return event


def _follow_up_event(follow_up: FollowUp, base_url: str) -> Event:
    from icalendar import Event

    event = Event()
    event.add("uid", f"follow-up-{follow_up.pk}@kuusikko")
    event.add("dtstamp", follow_up.updated_at or timezone.now())
    # An all-day event on the due date (DTEND is exclusive).
    event.add("dtstart", follow_up.due_date)
    event.add("dtend", follow_up.due_date + datetime.timedelta(days=1))
    event.add("summary", _("Due: %(task)s") % {"task": follow_up.description[:150]})
    event.add("transp", "TRANSPARENT")
    if base_url and follow_up.meeting_id:
        event.add("url", f"{base_url.rstrip('/')}/meetings/{follow_up.meeting_id}/")
    return event


def _finish(calendar: Calendar) -> bytes:
    # VTIMEZONE components for every TZID used, so clients need no outside time-zone data.
    calendar.add_missing_timezones()
    return calendar.to_ical()


def user_feed(*, user: User, base_url: str = "", now: datetime.datetime | None = None) -> bytes:
    calendar = _calendar(_("Kuusikko: %(user)s") % {"user": user})
    for meeting in feed_meetings(user, now):
        calendar.add_component(_meeting_event(meeting, base_url))
    for follow_up in feed_follow_ups(user):
        calendar.add_component(_follow_up_event(follow_up, base_url))
    return _finish(calendar)


def meetings_ics(meetings: Iterable[Meeting], *, base_url: str = "") -> bytes:
    """An .ics file of the given meetings (the caller has scoped them to the reader)."""
    calendar = _calendar("Kuusikko")
    for meeting in meetings:
        calendar.add_component(_meeting_event(meeting, base_url))
    return _finish(calendar)
