"""The briefing pack: before meeting someone, everything on one printable page.

For a contact or an organisation: every past meeting with them from all six municipalities
(within what the reader may see), the open follow-ups of those meetings, the goals discussed
with them and the joint positions (endorsements) on those goals, and their positions and roles.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Prefetch, Q

from crm.models import Contact, ContactPosition, NetworkMembership, Organisation, User

from .models import FollowUp, Goal, GoalEndorsement, Meeting


@dataclass
class Briefing:
    contact: Contact | None
    organisation: Organisation | None
    meetings: list[Meeting]
    open_follow_ups: list[FollowUp]
    goals: list[Goal]
    positions: list[ContactPosition] = field(default_factory=list)
    memberships: list[NetworkMembership] = field(default_factory=list)
    people: list[Contact] = field(default_factory=list)  # an organisation's contacts

    @property
    def contact_ids(self) -> list[int]:
        """The people this pack shows (for the access log)."""
        ids = {c.pk for c in self.people}
        if self.contact:
            ids.add(self.contact.pk)
        for meeting in self.meetings:
            ids.update(c.pk for c in meeting.contacts.all())
        return sorted(ids)


def _meetings(meetings):
    return list(
        meetings.select_related("author", "municipality")
        .prefetch_related(
            "topics",
            "goals",
            "our_participants",
            Prefetch("contacts", queryset=Contact.objects.select_related("organisation")),
        )
        .order_by("-occurred_at", "-id")
    )


def _goals(meetings: list[Meeting]) -> list[Goal]:
    ids = {g.pk for m in meetings for g in m.goals.all()}
    return list(
        Goal.objects.filter(pk__in=ids)
        .select_related("topic")
        .prefetch_related(
            Prefetch(
                "endorsements",
                queryset=GoalEndorsement.objects.select_related("municipality"),
            )
        )
        .order_by("topic__name", "title")
    )


def _open_follow_ups(user: User, meetings: list[Meeting]) -> list[FollowUp]:
    return list(
        FollowUp.objects.visible_to(user)
        .open()
        .filter(meeting_id__in=[m.pk for m in meetings])
        .select_related("assignee", "meeting")
        .order_by("due_date", "id")
    )


def contact_briefing(*, contact: Contact, user: User) -> Briefing:
    contact = (
        Contact.objects.select_related("organisation", "municipality")
        .prefetch_related("tags", "relationship_owners")
        .get(pk=contact.pk)
    )
    meetings = _meetings(Meeting.objects.visible_to(user).with_contact(contact))
    return Briefing(
        contact=contact,
        organisation=contact.organisation,
        meetings=meetings,
        open_follow_ups=_open_follow_ups(user, meetings),
        goals=_goals(meetings),
        positions=list(contact.positions.select_related("organisation")),
        memberships=list(contact.memberships.select_related("network")),
    )


def organisation_briefing(*, organisation: Organisation, user: User) -> Briefing:
    """Meetings with the organisation itself, its units, or any of their people."""
    units = [organisation.pk]
    frontier = [organisation.pk]
    while frontier:  # the organisation's units, at any depth
        frontier = list(
            Organisation.objects.filter(parent_id__in=frontier)
            .exclude(pk__in=units)
            .values_list("pk", flat=True)
        )
        units += frontier
    people = list(
        Contact.objects.active()
        .filter(organisation_id__in=units)
        .select_related("organisation")
        .order_by("last_name", "first_name")
    )
    meetings = _meetings(
        Meeting.objects.visible_to(user).filter(
            Exists(
                Meeting.organisations.through.objects.filter(
                    meeting_id=OuterRef("pk"), organisation_id__in=units
                )
            )
            | Q(
                Exists(
                    Meeting.contacts.through.objects.filter(
                        meeting_id=OuterRef("pk"), contact__organisation_id__in=units
                    )
                )
            )
        )
    )
    return Briefing(
        contact=None,
        organisation=organisation,
        meetings=meetings,
        open_follow_ups=_open_follow_ups(user, meetings),
        goals=_goals(meetings),
        memberships=list(organisation.memberships.select_related("network")),
        people=people,
    )
