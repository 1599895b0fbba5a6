from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from advocacy import trace_api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    # Traceability: reports, history, register, briefings, calendars, import, personal data.
    path("", include("advocacy.trace_urls")),
    path("api/v1/", include((trace_api.urlpatterns, "trace_api"))),
]

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()

# An unhandled exception: a page without detail, 503 while the database is unreachable.
handler500 = "config.errors.server_error"
