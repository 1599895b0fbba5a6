"""The one router of REST API v1, mounted at /api/v1/ by config/urls.py.

It lives in config because it wires both apps (crm must not import advocacy). The contacts
endpoint is advocacy's subclass of crm's, which adds the meeting side of a person.
"""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from advocacy import api as advocacy_api
from advocacy import trace_api
from crm import api as crm_api

router = DefaultRouter()
router.register("municipalities", crm_api.MunicipalityViewSet, basename="municipality")
router.register("users", crm_api.UserViewSet, basename="user")
router.register("organisations", crm_api.OrganisationViewSet, basename="organisation")
router.register("contacts", advocacy_api.ContactViewSet, basename="contact")
router.register("networks", crm_api.NetworkViewSet, basename="network")
router.register("topics", advocacy_api.TopicViewSet, basename="topic")
router.register("goals", advocacy_api.GoalViewSet, basename="goal")
router.register("meetings", advocacy_api.MeetingViewSet, basename="meeting")
router.register("follow-ups", advocacy_api.FollowUpViewSet, basename="follow-up")
router.register("reminders", advocacy_api.ReminderViewSet, basename="reminder")
router.register("notifications", advocacy_api.NotificationViewSet, basename="notification")

urlpatterns = [
    path("auth/token/", crm_api.AuthTokenView.as_view(), name="auth-token"),
    path("", include(router.urls)),
    # Traceability: report, register, timelines, briefings, calendars, import, personal data.
    *trace_api.urlpatterns,
]
