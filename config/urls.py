from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    # REST API v1 (config/api_router.py), its OpenAPI schema and browsable docs (public).
    path("api/v1/", include(("config.api_router", "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view loads its start-up script from a URL: the CSP allows no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("accounts/", include("django.contrib.auth.urls")),
    # Traceability: reports, history, register, briefings, calendars, import, personal data.
    path("", include("advocacy.trace_urls")),
    # The web UI: advocacy's pages (dashboard, meetings, the contact page with its timeline)
    # and crm's directory pages share the root.
    path("", include("advocacy.urls")),
    path("", include("crm.urls")),
]

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()

# An unhandled exception: a page without detail, 503 while the database is unreachable.
handler500 = "config.errors.server_error"

if settings.BENCH:  # `make bench` only: the framework's floor (bench/views.py)
    urlpatterns += [path("bench/", include("bench.urls"))]
