"""URLs of the traceability pages (namespace "trace"), mounted at the site root."""

from django.urls import path

from . import trace_views as views

app_name = "trace"

urlpatterns = [
    path("reports/", views.report, name="report"),
    path("reports/export.<str:fmt>", views.report_export, name="report_export"),
    path("transparency/", views.transparency_page, name="transparency"),
    path("transparency/export.csv", views.transparency_export, name="transparency_export"),
    path("contacts/<int:pk>/history/", views.contact_history, name="contact_history"),
    path("contacts/<int:pk>/briefing/", views.contact_briefing, name="contact_briefing"),
    path(
        "organisations/<int:pk>/history/", views.organisation_history, name="organisation_history"
    ),
    path(
        "organisations/<int:pk>/briefing/",
        views.organisation_briefing,
        name="organisation_briefing",
    ),
    path("topics/<int:pk>/history/", views.topic_history, name="topic_history"),
    path("goals/<int:pk>/history/", views.goal_history, name="goal_history"),
    path("calendar/", views.calendar_settings, name="calendar_settings"),
    path("calendar/feed/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
    path("meetings/<int:pk>/calendar.ics", views.meeting_ics, name="meeting_ics"),
    path("import/", views.import_upload, name="import_upload"),
    path("import/<int:pk>/", views.import_preview, name="import_preview"),
    path("import/<int:pk>/apply/", views.import_apply, name="import_apply"),
    path("import/<int:pk>/discard/", views.import_discard, name="import_discard"),
    path("contacts/duplicates/", views.duplicates, name="duplicates"),
    path("contacts/<int:pk>/personal-data/", views.personal_data, name="personal_data"),
    path(
        "contacts/<int:pk>/personal-data/export.json",
        views.personal_data_export,
        name="personal_data_export",
    ),
    path(
        "contacts/<int:pk>/personal-data/anonymise/",
        views.personal_data_anonymise,
        name="personal_data_anonymise",
    ),
    path("personal-data/retention/", views.retention, name="retention"),
]
