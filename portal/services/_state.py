"""The one way a status changes: compare-and-set, then a history row.

`filter(pk=pk, status__in=FROM).update(status=TO)` changes at most one row and only if nobody
moved the object first (two staff pressing 公開 at once, a nushi confirming a draft that staff
just rejected); the loser gets InvalidTransition instead of silently overwriting. `.update()`
bypasses model signals, so the
history row (who, when, why) is written here explicitly.
"""

from collections.abc import Iterable

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from portal.models import HistoryStamps

# One domain error for "not (any more) in a state that allows this change", shared with the
# application services; the message is Japanese and safe to show.
from portal.services.errors import InvalidTransition


def transition[M: HistoryStamps](
    obj: M,
    *,
    from_states: Iterable[str],
    to_state: str,
    actor: User | None,
    reason: str = "",
    **fields,
) -> M:
    """Move `obj` from one of `from_states` to `to_state` (plus `fields`), record history, return
    the refreshed object. Raises InvalidTransition when the row was not in an allowed state."""
    model = type(obj)
    from_states = list(from_states)
    changed = model._default_manager.filter(pk=obj.pk, status__in=from_states).update(
        status=to_state, **fields, **_touch(model)
    )
    if changed != 1:
        raise InvalidTransition(
            _("この操作はできません（現在の状態: %(status)s）。画面を更新してお確かめください。")
            % {"status": _current_label(obj)}
        )
    obj.refresh_from_db()
    record_history(obj, actor=actor, reason=reason or f"{to_state}")
    return obj


def record_history(obj: models.Model, *, actor: User | None, reason: str) -> None:
    history = getattr(type(obj), "history", None)
    if history is not None:
        # bulk_history_create prefers a `_history_user` left on the instance by an earlier save.
        obj._history_user = actor  # type: ignore[attr-defined]  # read by simple-history, not a field
        history.bulk_history_create(
            [obj], update=True, default_user=actor, default_change_reason=reason[:100]
        )


def _touch(model: type[models.Model]) -> dict:
    names = {f.name for f in model._meta.get_fields()}
    return {"updated_at": timezone.now()} if "updated_at" in names else {}


def _current_label(obj: models.Model) -> str:
    current = type(obj)._default_manager.filter(pk=obj.pk).values_list("status", flat=True).first()
    if current is None:
        return "—"
    field = type(obj)._meta.get_field("status")
    choices = dict(field.flatchoices) if isinstance(field, models.Field) else {}
    return str(choices.get(current, current))
