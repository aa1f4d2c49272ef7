"""Reads of the outbox for the staff's delivery page."""

from collections.abc import Iterable

from django.db.models import QuerySet

from notifications.models import OutboxMessage


def outbox_rows(municipality_ids: Iterable[int] | None, state: str = "") -> QuerySet[OutboxMessage]:
    """The messages about the given municipalities, newest first, optionally in one state
    (OutboxMessage.State). `None` means every municipality (superusers), including rows about none."""
    rows = OutboxMessage.objects.all()
    if municipality_ids is not None:
        rows = rows.filter(municipality_id__in=municipality_ids)
    if state:
        rows = rows.filter(OutboxMessage.in_state(state))
    return rows.select_related("recipient").order_by("-created_at", "-pk")
