from django.urls import path

from bench import views

urlpatterns = [
    path("hello/django/", views.django_hello),
    path("hello/drf/", views.DrfHello.as_view()),
]
