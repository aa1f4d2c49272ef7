"""Who may see or do what with points. Helpers see only their own wallets; staff see and record only
for their municipality's ledger (another municipality's is a 404, never a 403)."""

from django.http import Http404

from accounts.permissions import AnyUser, staff_municipality_ids


def ledger_municipality_id(user: AnyUser, requested: str | None) -> int:
    """The municipality whose ledger this staff member asked for (the first of theirs by default).
    A municipality that is not theirs is a 404."""
    allowed = sorted(staff_municipality_ids(user))
    if not allowed:
        raise Http404
    if not requested:
        return allowed[0]
    try:
        municipality_id = int(requested)
    except ValueError:
        raise Http404 from None
    if municipality_id not in allowed:
        raise Http404
    return municipality_id
