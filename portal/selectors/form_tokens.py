"""What an earlier sending of a one-time-token form created (portal.services.form_tokens)."""

from uuid import UUID

from accounts.models import User
from portal.models import FormToken


def form_token_result(*, actor: User, token: UUID | None) -> int | None:
    """What an earlier sending of this form by `actor` created, if any (a read before validating:
    a replayed form may no longer validate, e.g. the resident's first need made their nushi)."""
    if token is None:
        return None
    return (
        FormToken.objects.filter(token=token, user_id=actor.pk)
        .values_list("object_id", flat=True)
        .first()
    )
