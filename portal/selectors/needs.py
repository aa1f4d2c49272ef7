"""Reads of needs: a nushi's own and staff's queue."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import User
from portal.models import Need
from portal.permissions import is_nushi, nushi_scope, staff_scope
from portal.selectors.programs import nushi_programs_to_confirm

# Needs that staff still have to act on: the review queue (staff_home) and the staff dashboard.
QUEUE_NEED_STATES = (Need.Status.SUBMITTED, Need.Status.IN_DESIGN)


def nushi_needs(user: User) -> QuerySet[Need]:
    return nushi_scope(user, Need.objects.select_related("nushi"))


def nushi_context(user: User) -> dict:
    """My page's nushi section: their needs and the drafts waiting for their confirmation (2 queries,
    none for someone who is not a nushi)."""
    if not is_nushi(user):
        return {"nushi_needs": [], "nushi_to_confirm": []}
    return {
        "nushi_needs": list(nushi_needs(user).order_by("-created_at")[:20]),
        "nushi_to_confirm": list(nushi_programs_to_confirm(user)),
    }


def need_for_nushi(user: User, pk: int) -> Need:
    """A nushi's own need, or 404 (another nushi's need does not exist for them)."""
    return get_object_or_404(
        nushi_scope(user, Need.objects.select_related("nushi", "district")), pk=pk
    )


def staff_needs(user: User) -> QuerySet[Need]:
    return staff_scope(user, Need.objects.select_related("nushi", "district", "municipality"))


def need_for_staff(user: User, pk: int) -> Need:
    return get_object_or_404(staff_needs(user), pk=pk)
