from django.urls import path

from crm import views

app_name = "crm"

urlpatterns = [
    path("contacts/", views.contact_list, name="contact_list"),
    path("contacts/new/", views.contact_create, name="contact_create"),
    path("contacts/lookup/", views.contact_lookup, name="contact_lookup"),
    path("contacts/<int:pk>/edit/", views.contact_edit, name="contact_edit"),
    path("organisations/", views.organisation_list, name="organisation_list"),
    path("organisations/new/", views.organisation_create, name="organisation_create"),
    path("organisations/lookup/", views.organisation_lookup, name="organisation_lookup"),
    path("organisations/<int:pk>/edit/", views.organisation_edit, name="organisation_edit"),
    path("networks/", views.network_list, name="network_list"),
    path("networks/new/", views.network_create, name="network_create"),
    path("networks/<int:pk>/edit/", views.network_edit, name="network_edit"),
    path("networks/<int:pk>/members/", views.network_member_add, name="network_member_add"),
    path(
        "networks/<int:pk>/members/<int:membership_pk>/remove/",
        views.network_member_remove,
        name="network_member_remove",
    ),
    path("users/lookup/", views.user_lookup, name="user_lookup"),
    path("language/", views.set_language, name="set_language"),
]
