"""Row history for every model people edit, recorded by database triggers (django-pghistory).

Triggers catch what the ORM's signals would miss: bulk updates, `QuerySet.update()` and raw SQL.
The acting user is attached as context by pghistory's middleware (requests) or by
`pghistory.context(user=...)` (services run outside a request).
"""

import pghistory


def tracked(**options):
    """Class decorator: keep insert, update and delete events of the model.

    Each model needs its own tracker instances, so they are made here per call.
    """
    return pghistory.track(
        pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent(), **options
    )
