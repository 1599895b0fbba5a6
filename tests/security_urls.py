"""A URLconf for the hardening tests: the project's URLs plus small views that stand in for pages
and API endpoints other branches build (an API sign-in like the token view, a permission check,
the API docs), so that sign-in protection, the security log and the CSP can be tested here.
"""

from django.contrib.auth import authenticate
from django.contrib.auth.views import LoginView
from django.core.exceptions import PermissionDenied
from django.db import OperationalError
from django.http import HttpResponse
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from config.urls import handler500
from config.urls import urlpatterns as project_urlpatterns

__all__ = ["handler500", "urlpatterns"]


class SignInSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"})


class ApiSignInView(APIView):
    """Signs in the way the API's token view does: authenticate() with the DRF request."""

    permission_classes = [permissions.AllowAny]
    authentication_classes = []

    def post(self, request):
        data = SignInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(request=request, **data.validated_data)
        if user is None:
            return Response({"detail": "Unable to sign in."}, status=400)
        return Response({"user_id": user.pk})


class AdminOnlyApiView(APIView):
    permission_classes = [permissions.IsAdminUser]

    def get(self, request):
        return Response({"ok": True})


class ReadApiView(APIView):
    def get(self, request):
        return Response({"username": request.user.get_username()})


def forbidden_page(request):
    raise PermissionDenied


def search_page(request):
    return HttpResponse("results")


def database_down_page(request):
    raise OperationalError("connection to server failed: server closed the connection")


def broken_page(request):
    raise RuntimeError("a bug with a secret detail in its message")


urlpatterns = [
    *project_urlpatterns,
    # The web UI's sign-in page (django.contrib.auth's LoginView, named "login"); once the UI's
    # own route is in config.urls, that one comes first and is the one tested.
    path("accounts/login/", LoginView.as_view(template_name="admin/login.html"), name="login"),
    path("test/api/sign-in/", ApiSignInView.as_view(), name="test-api-sign-in"),
    path("test/api/admin-only/", AdminOnlyApiView.as_view()),
    path("test/api/read/", ReadApiView.as_view()),
    path("test/forbidden/", forbidden_page),
    path("test/search/", search_page),
    path("test/database-down/", database_down_page),
    path("test/broken/", broken_page),
    path("test/api/schema/", SpectacularAPIView.as_view(), name="test-schema"),
    path(
        "test/api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="test-schema"),
        name="test-docs",
    ),
]
