from django.conf import settings
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("django.contrib.auth.urls")),
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
