"""The contact form (お問い合わせ): a message to one municipality's staff, through the outbox."""

import uuid
from uuid import UUID

from django.db import transaction

from accounts.models import Municipality, User
from notifications.services import site_url
from portal import notices
from portal.services.form_tokens import form_token_claim, form_token_fulfil


def contact_submit(
    *,
    municipality: Municipality,
    name: str,
    email: str,
    topic: object,
    message: str,
    actor: User | None,
    form_token: UUID | None = None,
) -> None:
    """Tell every staff member of `municipality` (and nobody else) what the sender wrote; a signed-in
    sender also gets a receipt. An anonymous sender gets none: a receipt to an address typed into a
    public form would let anyone send our mail to anyone. `topic` is the topic's label, lazy, so that
    each recipient reads it in their own language. The form's one-time token records the
    municipality it went to: the same form sent again lands on its "sent" page, and nobody is told
    twice."""
    with transaction.atomic(durable=True):
        claim = form_token_claim(actor=actor, token=form_token)
        form_token_fulfil(claim, object_id=municipality.pk)
        notices.notice_contact_received(
            municipality_id=municipality.pk,
            key=uuid.uuid4().hex,
            sender_id=actor.pk if actor is not None else None,
            context={
                "municipality_name": str(municipality),
                "sender_name": name,
                "sender_email": email,
                "signed_in": actor is not None,
                "topic": topic,
                "message": message,
                "contact_url": site_url("contact_municipality", municipality.slug),
            },
        )
