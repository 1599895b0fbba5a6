"""What every page's shell (header, navigation) shows about the signed-in user."""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject

from .models import Notification


def shell(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # Lazy: pages that do not render the header (htmx fragments) do not pay for the query.
    return {
        "unread_notification_count": SimpleLazyObject(
            lambda: Notification.objects.for_user(user).unread().count()
        )
    }
