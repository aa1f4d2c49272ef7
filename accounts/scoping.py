"""Which municipality a row belongs to, for any model, and whether its related rows belong to the same.

The path from a model to its Municipality is found from the model's foreign keys ("municipality" on a
need, "program__municipality" on a session), so that a model added later is scoped without being
listed anywhere. The admin (accounts.admin.MunicipalityScopedAdmin) scopes its querysets and form
fields with it, and the services that link rows of several models check them with
`require_one_municipality`: one rule, wherever a row is written.
"""

from collections.abc import Iterable
from functools import cache

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import models
from django.utils.translation import gettext as _

from accounts.models import Municipality


@cache
def municipality_path(model: type[models.Model]) -> str | None:
    """The lookup from `model` to its municipality: "pk" for Municipality itself, "municipality",
    "program__municipality", ...; None for a model that belongs to no municipality (a User: one
    helper identity works across all of them).

    A foreign key to Municipality wins; otherwise the first required foreign key whose model has a
    path, then the first optional one (a report's program before its optional session)."""
    return _path(model, frozenset())


def _path(model: type[models.Model], seen: frozenset) -> str | None:
    if model is Municipality:
        return "pk"
    keys = [f for f in model._meta.concrete_fields if isinstance(f, models.ForeignKey)]
    for field in keys:
        if field.related_model is Municipality:
            return field.name
    for field in sorted(keys, key=lambda f: f.null):  # stable: required keys first, in order
        target = field.related_model
        if target is model or target in seen:
            continue
        rest = _path(target, seen | {model})
        if rest is not None:
            return field.name if rest == "pk" else f"{field.name}__{rest}"
    return None


def municipality_id_of(obj: models.Model) -> int | None:
    """The id of the municipality `obj` belongs to, following its path; None if it has none."""
    path = municipality_path(type(obj))
    if path is None:
        return None
    if path == "pk":
        return obj.pk
    field = obj._meta.get_field(path.split("__", 1)[0])
    if not isinstance(field, models.ForeignKey):  # a path starts with one of the model's own keys
        raise TypeError(f"{path!r} does not start with a foreign key of {type(obj).__name__}")
    if field.related_model is Municipality:
        return getattr(obj, field.attname)
    try:
        related = getattr(obj, field.name)
    except ObjectDoesNotExist:
        return None
    return None if related is None else municipality_id_of(related)


def fields_of_other_municipalities(
    obj: models.Model, names: Iterable[str] | None = None
) -> list[models.ForeignKey]:
    """The foreign keys of `obj` (those named in `names`, or all) that point to a row of another
    municipality than `obj`'s own. The key its own municipality is read through is not checked: it
    decides what "own" is."""
    own = municipality_id_of(obj)
    path = municipality_path(type(obj))
    if own is None or path is None:
        return []
    first = path.split("__", 1)[0]
    wanted = None if names is None else set(names)
    wrong = []
    for field in obj._meta.concrete_fields:
        if not isinstance(field, models.ForeignKey) or field.name == first:
            continue
        if wanted is not None and field.name not in wanted:
            continue
        if getattr(obj, field.attname) is None or municipality_path(field.related_model) is None:
            continue
        try:
            related = getattr(obj, field.name)
        except ObjectDoesNotExist:
            continue
        if municipality_id_of(related) != own:
            wrong.append(field)
    return wrong


def other_municipality_message(model: type[models.Model]) -> str:
    return _("別の自治体の%(model)sです。同じ自治体のものを選んでください。") % {
        "model": model._meta.verbose_name
    }


def require_one_municipality(obj: models.Model, names: Iterable[str] | None = None) -> None:
    """Refuse to write `obj` linked to a row of another municipality (a need of 飛騨市 with a nushi of
    郡上市, a program with another town's district): it would land in that town's queue. Raises a
    ValidationError without field names, which every caller already shows on its form."""
    wrong = fields_of_other_municipalities(obj, names)
    if wrong:
        raise ValidationError(
            [other_municipality_message(f.related_model) for f in wrong], code="other_municipality"
        )
