"""Who may see and do what. Every view asks here; nothing else decides roles.

- staff: a user with a StaffMembership acts for that municipality only (superusers for all);
- nushi: a member of an Organization acts for that organisation's needs and programs;
- helper: any signed-in user with a HelperProfile.
Access helpers return the object or raise Http404, so that an outsider cannot learn what exists.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseBase

from accounts.models import (
    Municipality,
    OrganizationMembership,
    StaffMembership,
    User,
)

# request.user: the rules below answer for a visitor who is not signed in too (they may do nothing).
AnyUser = User | AnonymousUser


class AuthenticatedHttpRequest(HttpRequest):
    """The request of a view behind login_required or staff_required, for the type checker: its user is
    a User, never AnonymousUser. (No request is ever of this class.)"""

    user: User


def staff_municipality_ids(user: AnyUser) -> set[int]:
    if not user.is_authenticated:
        return set()
    cached = getattr(user, "_staff_municipality_ids", None)
    if cached is None:
        if user.is_superuser:
            cached = set(Municipality.objects.values_list("pk", flat=True))
        else:
            cached = set(user.staff_memberships.values_list("municipality_id", flat=True))
        user._staff_municipality_ids = cached
    return cached


def is_staff_member(user: AnyUser) -> bool:
    return bool(staff_municipality_ids(user))


def is_staff_of(user: AnyUser, municipality_id: int | None) -> bool:
    return municipality_id is not None and municipality_id in staff_municipality_ids(user)


def organization_ids(user: AnyUser) -> set[int]:
    if not user.is_authenticated:
        return set()
    cached = getattr(user, "_organization_ids", None)
    if cached is None:
        cached = set(user.organization_memberships.values_list("organization_id", flat=True))
        user._organization_ids = cached
    return cached


def is_member_of(user: AnyUser, organization_id: int | None) -> bool:
    return organization_id is not None and organization_id in organization_ids(user)


def municipality_staff_ids(municipality_id: int) -> list[int]:
    """Everyone who is staff of the municipality: the recipients of staff notifications."""
    return list(
        StaffMembership.objects.filter(municipality_id=municipality_id).values_list(
            "user_id", flat=True
        )
    )


def organization_member_ids(organization_id: int) -> list[int]:
    """Everyone who acts for the organisation (the nushi's people)."""
    return list(
        OrganizationMembership.objects.filter(organization_id=organization_id).values_list(
            "user_id", flat=True
        )
    )


def scope_to_staff(queryset: QuerySet, user: AnyUser, field: str = "municipality") -> QuerySet:
    """Filter any queryset with a municipality relation (named by `field`) to the user's municipalities."""
    if user.is_superuser:
        return queryset
    return queryset.filter(**{f"{field}__in": staff_municipality_ids(user)})


def staff_required[V: Callable[..., HttpResponseBase]](view: V) -> V:
    """For staff pages: signed in and staff of at least one municipality, otherwise 403 with a message.
    Object-level scoping is still the view's job (through scope_to_staff or an access helper)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            from django.contrib.auth.views import redirect_to_login

            return redirect_to_login(request.get_full_path())
        if not is_staff_member(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return cast(V, wrapper)


def axes_username(request: HttpRequest, credentials: dict | None) -> str | None:
    """The login name Axes counts failures against. Django's admin form posts `username` but
    authenticates with `email=` (our USERNAME_FIELD), so read whichever is present."""
    credentials = credentials or {}
    value = credentials.get("email") or credentials.get("username") or request.POST.get("username")
    return value.strip().lower() if value else None
