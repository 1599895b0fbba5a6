"""Who may change what (DESIGN.md, "Who may see and do what"), in one place.

Seeing is decided by the querysets' `visible_to(user)`; these predicates decide changing, and
the services, the API and the web views all ask them.
"""

from __future__ import annotations

from crm.models import Municipality, Role, User

from .models import FollowUp, Goal, Meeting

CREATORS = (Role.TRUSTEE, Role.STAFF, Role.COORDINATOR)


def can_log_meetings(user: User) -> bool:
    return user.is_active and user.role in CREATORS


def can_edit_meeting(user: User, meeting: Meeting) -> bool:
    """Authors edit their own meetings; the coordinator edits any she can see."""
    return user.is_active and (meeting.author_id == user.pk or user.role == Role.COORDINATOR)


def can_create_follow_ups(user: User) -> bool:
    return can_log_meetings(user)


def can_edit_follow_up(user: User, follow_up: FollowUp) -> bool:
    """The assignee and the creator edit a follow-up; the coordinator edits anyone's."""
    return user.is_active and (
        user.role == Role.COORDINATOR
        or follow_up.assignee_id == user.pk
        or follow_up.created_by_id == user.pk
    )


def can_edit_topics_and_goals(user: User) -> bool:
    return user.is_active and user.role == Role.COORDINATOR


def can_delete_meeting(user: User, meeting: Meeting) -> bool:
    """Whoever may edit a meeting may remove it (its history keeps the record)."""
    return can_edit_meeting(user, meeting)


def can_record_endorsement(user: User, municipality: Municipality) -> bool:
    """A municipality's position on a goal is recorded by its own people or the coordinator."""
    if not user.is_active:
        return False
    if user.role == Role.COORDINATOR:
        return True
    return user.role in (Role.TRUSTEE, Role.STAFF) and user.municipality_id == municipality.pk


def can_record_goal_progress(user: User, goal: Goal) -> bool:
    """The coordinator, and the goal's owner, move its status and progress."""
    return can_edit_topics_and_goals(user) or (user.is_active and goal.owner_id == user.pk)


def can_operate_reminders(user: User) -> bool:
    """Retry failed reminders and manage others' notification settings: administrators."""
    return user.is_active and (user.is_superuser or user.role == Role.ADMIN)
