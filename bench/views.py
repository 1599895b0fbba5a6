"""Hello views: the framework's floor. Mounted under /bench/ only when settings.BENCH is on."""

from django.http import JsonResponse
from rest_framework.response import Response
from rest_framework.views import APIView


def django_hello(request):
    return JsonResponse({"hello": "world"})


class DrfHello(APIView):
    """Authenticated with the same token as the API (so the floor includes authentication)."""

    def get(self, request):
        return Response({"hello": "world"})
