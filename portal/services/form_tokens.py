"""One-time form tokens: a form that creates something carries a fresh token (portal.forms.common.
FormTokenField); the create claims it in its own transaction. The same form sent again finds the
token claimed and leads to what the first sending created (AlreadySubmitted), never to a second one.
Two sendings at once: the second waits on the token's primary key until the first commits."""

from uuid import UUID

from accounts.models import User
from portal.models import FormToken
from portal.services.errors import AlreadySubmitted


def form_token_claim(*, actor: User | None, token: UUID | None) -> FormToken | None:
    """Called inside the create's transaction, before it creates. No token (a client that sent
    none) claims nothing: the create goes ahead as before. `actor` None: a visitor who is not signed
    in (the contact form); what their sending created is then theirs to land on, as the token only
    ever reached the browser that was shown the form."""
    if token is None:
        return None
    claim, created = FormToken.objects.get_or_create(token=token, defaults={"user": actor})
    if not created:
        mine = claim.user_id == (actor.pk if actor is not None else None)
        raise AlreadySubmitted(claim.object_id if mine else None)
    return claim


def form_token_fulfil(claim: FormToken | None, *, object_id: int) -> None:
    """Record what the claimed sending created, in the same transaction."""
    if claim is not None:
        claim.object_id = object_id
        claim.save(update_fields=["object_id"])
