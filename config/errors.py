"""The answer to an unhandled exception (handler500): never a stack trace, 503 while the database
is unreachable.

Django calls handler500 inside its exception handler, so `sys.exc_info()` still holds the
exception. A database that is restarting or unreachable is a passing condition: the client is
told so (503 with Retry-After) and the next request's connection health check reconnects
(CONN_HEALTH_CHECKS). Everything else is a plain 500 with no detail.
"""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from config.security import wants_json

DATABASE_RETRY_AFTER_SECONDS = 5


def server_error(request: HttpRequest) -> HttpResponse:
    exc = sys.exc_info()[1]
    if isinstance(exc, (OperationalError, InterfaceError)):
        status = 503
        message = _("The service is temporarily unavailable. Please try again in a moment.")
    else:
        status = 500
        message = _("Something went wrong on our side. The error has been logged.")
    if wants_json(request):
        response: HttpResponse = JsonResponse({"detail": message}, status=status)
    else:
        # Rendered without the request: its context processors may need the database.
        response = HttpResponse(
            render_to_string("security/server_error.html", {"message": message}), status=status
        )
    if status == 503:
        response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
    return response
