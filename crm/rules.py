"""Who may change the shared directory and the users, in one place."""

from __future__ import annotations

from crm.models import Role, User

DIRECTORY_EDITORS = (Role.TRUSTEE, Role.STAFF, Role.COORDINATOR, Role.ADMIN)


def can_edit_directory(user: User) -> bool:
    """Contacts, organisations and networks are kept clean by everyone who works with them."""
    return user.is_active and user.role in DIRECTORY_EDITORS


def can_merge_contacts(user: User) -> bool:
    return user.is_active and user.role in (Role.COORDINATOR, Role.ADMIN)


def can_anonymise_contacts(user: User) -> bool:
    return user.is_active and (user.is_superuser or user.role in (Role.COORDINATOR, Role.ADMIN))


def can_manage_users(user: User) -> bool:
    return user.is_active and (user.role == Role.ADMIN or user.is_superuser)


def can_delete_directory_entries(user: User) -> bool:
    """Removing an organisation or a network loses links others rely on: coordinators and
    admins only. (Contacts are never deleted: they are anonymised.)"""
    return user.is_active and user.role in (Role.COORDINATOR, Role.ADMIN)


def can_handle_personal_data(user: User) -> bool:
    """Data-subject exports, the retention review and the access log: the data controller's
    duties, done by the coordinator or an administrator."""
    return user.is_active and user.role in (Role.COORDINATOR, Role.ADMIN)
