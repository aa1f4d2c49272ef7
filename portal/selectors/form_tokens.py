"""What an earlier sending of a one-time-token form created (portal.services.form_tokens)."""

from uuid import UUID

from accounts.models import User
from portal.models import FormToken


def form_token_result(*, actor: User | None, token: UUID | None) -> int | None:
    """What an earlier sending of this form by `actor` created, if any (a read before validating:
    a replayed form may no longer validate, e.g. the resident's first need made their nushi).
    `actor` None: a visitor who is not signed in (portal.services.form_tokens.form_token_claim)."""
    if token is None:
        return None
    sender = {"user": actor} if actor is not None else {"user__isnull": True}
    return (
        FormToken.objects.filter(token=token, **sender).values_list("object_id", flat=True).first()
    )
