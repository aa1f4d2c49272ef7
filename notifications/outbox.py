"""The outbox row of one message: its kind's texts rendered in the recipient's language and stored.

notifications.services.notify() writes through here and hands the row to a worker after the commit;
notifications.delivery writes its alerts through here too (the sweep sends them), which keeps delivery
from importing services and services (through tasks) from importing delivery in a circle.
"""

from contextlib import nullcontext
from datetime import datetime
from functools import cache

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, transaction
from django.db.models import Field
from django.utils import timezone

from accounts.models import User
from notifications.kinds import Kind
from notifications.models import OutboxMessage
from notifications.preferences import is_opted_out
from notifications.rendering import one_line_subject, render_message


def write_message(
    *,
    recipient_id: int,
    kind: str,
    object_key: str,
    context: dict,
    due_at: datetime | None = None,
    ics: str = "",
    municipality_id: int | None = None,
    language: str = "",
    new_object: bool = False,
) -> OutboxMessage | None:
    """Write one outbox row unless this (recipient, kind, object) was already written. Returns the row,
    or None when it existed. Must be called inside the caller's transaction. Hands nothing to a worker:
    notify() does that, or the sweep picks the row up.

    The texts are the kind's templates (templates/notifications/<kind>/) rendered with `context` in the
    recipient's language (User.language). A kind not in notifications.kinds.Kind is refused
    (ValueError): every message has its templates.

    `municipality_id` names the municipality the message is about, so that its staff see the row if
    sending it fails for good.

    A message of a topic the recipient switched off is not written (None is returned).

    `language`: the recipient's User.language when the caller read it already (not read again).
    `new_object`: the caller's transaction has just made the object, under a unique constraint of its
    own (a ledger transaction's idempotency key), so no row can exist for it: written without the
    savepoint that absorbs a duplicate (a duplicate would raise and roll the caller back)."""
    if kind not in Kind.values:
        raise ValueError(f"unknown notification kind {kind!r}: add it to notifications.kinds.Kind")
    if is_opted_out(recipient_id, kind):
        return None
    language = (
        language
        or User.objects.filter(pk=recipient_id).values_list("language", flat=True).first()
        or settings.LANGUAGE_CODE
    )
    rendered = render_message(kind, {**context, "site_url": settings.SITE_URL}, language)
    # A savepoint: a duplicate must not break the caller's transaction.
    once = nullcontext() if new_object else transaction.atomic()
    try:
        with once:
            message = _insert(
                OutboxMessage(
                    recipient_id=recipient_id,
                    kind=kind,
                    object_key=object_key,
                    subject=one_line_subject(rendered.subject),
                    body=rendered.body,
                    line_text=rendered.line,
                    html_body=rendered.html,
                    ics=ics,
                    due_at=due_at or timezone.now(),
                    municipality_id=municipality_id,
                )
            )
    except IntegrityError:
        return None
    return message


@cache
def _insert_sql() -> tuple[str, list[Field]]:
    """The INSERT that save() would send for a new row, its text built once (the ORM builds it anew for
    every row: a third of a closed session's credit, bench ledger_credit)."""
    meta = OutboxMessage._meta
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column or field.name) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    pk = quote(meta.pk.column or "id") if meta.pk else "id"
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({placeholders}) RETURNING {pk}"  # noqa: S608 - names from the model, values bound
    return sql, fields


def _insert(message: OutboxMessage) -> OutboxMessage:
    """Write a new row as save() does (each field's pre_save and database value: auto_now_add,
    defaults), with the statement of _insert_sql()."""
    sql, fields = _insert_sql()
    values = [field.get_db_prep_save(field.pre_save(message, True), connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        (message.pk,) = cursor.fetchone()
    message._state.adding = False
    message._state.db = DEFAULT_DB_ALIAS
    return message
