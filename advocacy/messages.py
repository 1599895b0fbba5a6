"""What a reminder says: subject, a short in-app text, e-mail bodies and a link to the item.

Composed when the reminder is sent (not when it is planned), from the state of that moment, in
the recipient's language. A composer answers None when there is nothing to say any more: the
follow-up was closed, the person was met after all, the digest would be empty.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.signals import setting_changed
from django.db.models import Exists, OuterRef, Q
from django.dispatch import receiver
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from crm.models import Contact, User

from . import links
from .models import (
    FollowUp,
    FollowUpStatus,
    Meeting,
    MeetingContact,
    Reminder,
    ReminderKind,
)
from .reminders import local_date, stale_decision_makers
from .transparency import HalfYear

SUBJECT_LENGTH = 200
DIGEST_DAYS = 7


@dataclass(frozen=True)
class Message:
    subject: str
    summary: str  # the in-app notification's text
    path: str  # the item on the site
    template: str  # templates/advocacy/email/<template>.txt and .html
    context: dict = field(default_factory=dict)

    @property
    def url(self) -> str:
        return links.absolute_url(self.path)

    def render_email(self, recipient: User) -> tuple[str, str]:
        """The plain text and HTML bodies, in the recipient's language."""
        context = {
            **self.context,
            "recipient": recipient,
            "subject": self.subject,
            "url": self.url,
            "settings_url": links.absolute_url(links.NOTIFICATION_SETTINGS_PATH),
        }
        with translation.override(recipient.language):
            text = render_to_string(f"advocacy/email/{self.template}.txt", context)
            html = render_to_string(f"advocacy/email/{self.template}.html", context)
        return text, html


def compose(reminder: Reminder, *, now: datetime.datetime | None = None) -> Message | None:
    """The message of `reminder` now, in its recipient's language; None if nothing to say."""
    now = now or timezone.now()
    with translation.override(reminder.recipient.language):
        return COMPOSERS[reminder.kind](reminder, now)


def _subject(text: str) -> str:
    return Truncator(" ".join(text.split())).chars(SUBJECT_LENGTH)


def _date(value: datetime.date) -> str:
    """A date the active language's way ("1.12.2026"). Remembered per date and language: the
    reminders of a sweep mostly name the same few days, and formatting one took a third of the
    time of rendering a follow-up e-mail."""
    return _date_in(value, translation.get_language())


@functools.lru_cache(maxsize=1024)
def _date_in(value: datetime.date, language: str | None) -> str:
    return formats.date_format(value, "DATE_FORMAT")


@receiver(setting_changed)
def _forget_dates(*, setting: str, **kwargs) -> None:
    if setting in {"DATE_FORMAT", "FORMAT_MODULE_PATH", "LANGUAGE_CODE", "LANGUAGES"}:
        _date_in.cache_clear()


# --- Follow-ups ------------------------------------------------------------------------------


def _follow_up_context(follow_up: FollowUp, today: datetime.date) -> dict:
    meeting = follow_up.meeting
    return {
        "follow_up": follow_up,
        "meeting": meeting,
        "goal": follow_up.goal,
        "days_overdue": (today - follow_up.due_date).days,
        # Formatted once for both bodies (what the `date` filter would show, local time).
        "due_date_text": _date(follow_up.due_date),
        "meeting_date_text": (
            _date(timezone.localtime(meeting.occurred_at).date())
            if meeting is not None and meeting.occurred_at is not None
            else ""
        ),
    }


def _open_follow_up(reminder: Reminder) -> FollowUp | None:
    follow_up = reminder.follow_up
    if follow_up is None or follow_up.status != FollowUpStatus.OPEN:
        return None
    return follow_up


def _follow_up_due(reminder: Reminder, now: datetime.datetime) -> Message | None:
    follow_up = _open_follow_up(reminder)
    if follow_up is None:
        return None
    today = local_date(now)
    days_left = (follow_up.due_date - today).days
    description = Truncator(follow_up.description).chars(120)
    if days_left < 0:  # sent late (after an outage): say what is true now
        return _follow_up_overdue(reminder, now)
    if days_left == 0:
        subject = _("Follow-up due today: %(description)s") % {"description": description}
        intro = _("This follow-up of yours is due today.")
    elif days_left == 1:
        subject = _("Follow-up due tomorrow: %(description)s") % {"description": description}
        intro = _("This follow-up of yours is due tomorrow.")
    else:
        subject = _("Follow-up due on %(date)s: %(description)s") % {
            "date": _date(follow_up.due_date),
            "description": description,
        }
        intro = _("This follow-up of yours is due on %(date)s.") % {
            "date": _date(follow_up.due_date)
        }
    return Message(
        subject=_subject(subject),
        summary=intro,
        path=links.follow_up_path(follow_up.pk),
        template="follow_up",
        context={**_follow_up_context(follow_up, today), "intro": intro},
    )


def _follow_up_overdue(reminder: Reminder, now: datetime.datetime) -> Message | None:
    follow_up = _open_follow_up(reminder)
    if follow_up is None:
        return None
    intro = _("This follow-up of yours was due on %(date)s and is still open.") % {
        "date": _date(follow_up.due_date)
    }
    return Message(
        subject=_subject(
            _("Overdue follow-up: %(description)s")
            % {"description": Truncator(follow_up.description).chars(120)}
        ),
        summary=intro,
        path=links.follow_up_path(follow_up.pk),
        template="follow_up",
        context={**_follow_up_context(follow_up, local_date(now)), "intro": intro},
    )


def _escalation(reminder: Reminder, now: datetime.datetime) -> Message | None:
    follow_up = _open_follow_up(reminder)
    if follow_up is None:
        return None
    context = _follow_up_context(follow_up, local_date(now))
    names = {
        "assignee": str(follow_up.assignee),
        "date": _date(follow_up.due_date),
        "days": context["days_overdue"],
    }
    intro = (
        ngettext(
            "%(assignee)s's follow-up was due on %(date)s and has been overdue for %(days)d day.",
            "%(assignee)s's follow-up was due on %(date)s and has been overdue for %(days)d days.",
            names["days"],
        )
        % names
    )
    subject = _("Overdue follow-up of %(assignee)s: %(description)s") % {
        "assignee": names["assignee"],
        "description": Truncator(follow_up.description).chars(120),
    }
    return Message(
        subject=_subject(subject),
        summary=intro,
        path=links.follow_up_path(follow_up.pk),
        template="follow_up",
        context={**context, "intro": intro},
    )


# --- Weekly digest ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Digest:
    overdue: list[FollowUp]
    open: list[FollowUp]
    meetings: list[Meeting]
    since: datetime.datetime

    @property
    def is_empty(self) -> bool:
        return not (self.overdue or self.open or self.meetings)


def gather_digest(user: User, *, now: datetime.datetime) -> Digest:
    """A user's week: their open follow-ups (overdue first), and the meetings others logged in
    the past week on the user's topics or with the contacts whose relationship they own — only
    meetings the user may see."""
    today = local_date(now)
    follow_ups = list(
        FollowUp.objects.open().filter(assignee=user).for_list().order_by("due_date", "id")
    )
    since = now - datetime.timedelta(days=DIGEST_DAYS)
    owned_contact = MeetingContact.objects.filter(
        meeting_id=OuterRef("pk"), contact__relationship_owners=user
    )
    meetings = list(
        Meeting.objects.visible_to(user)
        .filter(occurred_at__gte=since, occurred_at__lte=now)
        .exclude(author=user)
        .filter(Q(topics__owner=user) | Exists(owned_contact))
        .distinct()
        .for_timeline()
    )
    return Digest(
        overdue=[f for f in follow_ups if f.due_date < today],
        open=[f for f in follow_ups if f.due_date >= today],
        meetings=meetings,
        since=since,
    )


def _weekly_digest(reminder: Reminder, now: datetime.datetime) -> Message | None:
    digest = gather_digest(reminder.recipient, now=now)
    if digest.is_empty:
        return None
    counts = {
        "open": len(digest.open) + len(digest.overdue),
        "overdue": len(digest.overdue),
        "meetings": len(digest.meetings),
    }
    summary = (
        ngettext(
            "%(open)d open follow-up",
            "%(open)d open follow-ups",
            counts["open"],
        )
        % counts
        + ", "
        + ngettext("%(overdue)d overdue", "%(overdue)d overdue", counts["overdue"]) % counts
        + ", "
        + ngettext(
            "%(meetings)d new meeting on your topics and contacts",
            "%(meetings)d new meetings on your topics and contacts",
            counts["meetings"],
        )
        % counts
    )
    return Message(
        subject=_subject(_("Your week in Kuusikko: %(summary)s") % {"summary": summary}),
        summary=summary,
        path=links.FOLLOW_UPS_PATH,
        template="weekly_digest",
        context={
            "digest": digest,
            "overdue": [_item(f, links.follow_up_path(f.pk)) for f in digest.overdue],
            "open": [_item(f, links.follow_up_path(f.pk)) for f in digest.open],
            "meetings": [_item(m, links.meeting_path(m.pk)) for m in digest.meetings],
        },
    )


def _item(obj, path: str) -> dict:
    """A thing listed in an e-mail with its absolute link."""
    return {"object": obj, "url": links.absolute_url(path)}


# --- Decision-makers not met lately ----------------------------------------------------------


def _stale_contact(reminder: Reminder, now: datetime.datetime) -> Message | None:
    contact = stale_decision_makers(now).filter(pk=reminder.contact_id).first()
    if contact is None:  # met since, archived, or no longer a decision-maker
        return None
    names = {"name": contact.full_name, "days": (now - contact.stale_since).days}
    if contact.last_interaction_at is None:
        summary = _("Nobody in the six municipalities has met %(name)s yet.") % names
    else:
        summary = _("Nobody has met %(name)s since %(date)s.") % {
            **names,
            "date": _date(local_date(contact.last_interaction_at)),
        }
    return Message(
        subject=_subject(_("Not met in %(days)d days: %(name)s") % names),
        summary=summary,
        path=links.contact_path(contact.pk),
        template="stale_contact",
        context={"contact": contact, "intro": summary, "days": names["days"]},
    )


def _stale_summary(reminder: Reminder, now: datetime.datetime) -> Message | None:
    contacts: list[Contact] = list(
        stale_decision_makers(now)
        .select_related("organisation")
        .prefetch_related("relationship_owners")
        .order_by("-influence_level", "stale_since", "last_name")
    )
    if not contacts:
        return None
    summary = ngettext(
        "%(count)d decision-maker has not been met lately.",
        "%(count)d decision-makers have not been met lately.",
        len(contacts),
    ) % {"count": len(contacts)}
    return Message(
        subject=_subject(summary),
        summary=summary,
        path=links.CONTACTS_PATH,
        template="stale_summary",
        context={"contacts": [_item(c, links.contact_path(c.pk)) for c in contacts]},
    )


# --- Transparency register -------------------------------------------------------------------


def _transparency_disclosure(reminder: Reminder, now: datetime.datetime) -> Message | None:
    """Before a disclosure window: which half-year, until when, and the roll-up's page."""
    half_text = reminder.key.split(":")[0]
    try:
        half_year = HalfYear.parse(half_text)
    except ValueError:
        return None
    opens, closes = half_year.disclosure_window
    if local_date(now) > closes:
        return None  # the window has closed: nothing to remind of any more
    dates = {
        "start": _date(half_year.start),
        "end": _date(half_year.end),
        "opens": _date(opens),
        "closes": _date(closes),
    }
    summary = (
        _(
            "Lobbying contacts of %(start)s–%(end)s are disclosed to the transparency register "
            "between %(opens)s and %(closes)s."
        )
        % dates
    )
    return Message(
        subject=_subject(_("Transparency register: disclose by %(closes)s") % dates),
        summary=summary,
        path=f"/transparency/?half={half_year}",
        template="transparency_disclosure",
        context={"intro": summary, **dates},
    )


COMPOSERS: dict[str, Callable[[Reminder, datetime.datetime], Message | None]] = {
    ReminderKind.FOLLOW_UP_DUE: _follow_up_due,
    ReminderKind.FOLLOW_UP_OVERDUE: _follow_up_overdue,
    ReminderKind.ESCALATION: _escalation,
    ReminderKind.WEEKLY_DIGEST: _weekly_digest,
    ReminderKind.STALE_CONTACT: _stale_contact,
    ReminderKind.STALE_SUMMARY: _stale_summary,
    ReminderKind.TRANSPARENCY_DISCLOSURE: _transparency_disclosure,
}
