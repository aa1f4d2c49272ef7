"""Helpers for the admin scoping tests: every URL a model admin registers, the data a browser would post
from an admin form, and a snapshot of every row, to prove that nothing was written."""

import re
from html.parser import HTMLParser

from django.apps import apps
from django.contrib import admin
from django.contrib.admin.options import ModelAdmin
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.test import RequestFactory
from django.urls import resolve, reverse
from django.urls.resolvers import RoutePattern

from accounts.admin import MunicipalityScopedAdmin

# The apps whose rows staff could reach through the admin; a snapshot of them before and after a
# sweep of requests shows that nothing was written (history rows included).
SNAPSHOT_APPS = ("accounts", "portal", "notifications")


def scoped_admins() -> list[tuple[type[models.Model], ModelAdmin]]:
    return [
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if isinstance(model_admin, MunicipalityScopedAdmin)
    ]


def other_admins() -> list[tuple[type[models.Model], ModelAdmin]]:
    return [
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if not isinstance(model_admin, MunicipalityScopedAdmin)
    ]


def first_version_id(obj: models.Model) -> int | None:
    history = getattr(type(obj), "history", None)
    if history is None:
        return None
    first = history.filter(**{obj._meta.pk.attname: obj.pk}).order_by("history_id").first()
    return first.history_id if first else None


def _fill(pattern, args: list[str]) -> str:
    """The path of a URL pattern with its parameters replaced by `args`, in order."""
    if isinstance(pattern, RoutePattern):
        parts = re.split(r"<[^>]+>", str(pattern))
    else:
        parts = re.split(r"\([^)]*\)", str(pattern).lstrip("^").rstrip("$"))
    assert len(parts) == len(args) + 1, f"unexpected URL shape {pattern}: extend this helper"
    return "".join(part + arg for part, arg in zip(parts, [*args, ""], strict=True))


def admin_urls(model_admin: ModelAdmin, obj: models.Model) -> dict[str, str]:
    """Every URL the model admin registers, filled in for `obj` (and its first history version where
    a URL takes one; 0 for a model without history), by URL name. A view added later is listed too."""
    opts = model_admin.model._meta
    base = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    version = first_version_id(obj)
    urls = {}
    for pattern in model_admin.get_urls():
        count = pattern.pattern.regex.groups
        assert count <= 2, f"{pattern} takes {count} parameters: extend admin_urls"
        url = base + _fill(pattern.pattern, [str(obj.pk), str(version or 0)][:count])
        resolve(url)  # the URL built is one the site answers
        urls[pattern.name or f"redirect:{url}"] = url
    return urls


class _FormParser(HTMLParser):
    """What a browser submits from the admin's main form (`<form id="<model>_form">`)."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self.in_form = False
        self.select: tuple[str, bool] | None = None
        self.first_option: str | None = None
        self.selected = False
        self.textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.in_form = (a.get("id") or "").endswith("_form")
        if not self.in_form or ("name" not in a and tag != "option"):
            return
        if tag == "input":
            kind = a.get("type", "text")
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.data.setdefault(a["name"], []).append(
                a.get("value") or ("on" if kind == "checkbox" else "")
            )
        elif tag == "textarea":
            self.textarea = a["name"]
            self.data.setdefault(self.textarea, []).append("")
        elif tag == "select":
            self.select, self.first_option, self.selected = (
                (a["name"], "multiple" in a),
                None,
                False,
            )
        elif tag == "option" and self.select:
            value = a.get("value", "")
            if self.first_option is None:
                self.first_option = value
            if "selected" in a:
                self.selected = True
                self.data.setdefault(self.select[0], []).append(value)

    def handle_data(self, data):
        if self.textarea:
            self.data[self.textarea][-1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.in_form = False
        elif tag == "textarea":
            self.textarea = None
        elif tag == "select" and self.select:
            name, multiple = self.select
            if not self.selected and not multiple and self.first_option is not None:
                self.data.setdefault(name, []).append(self.first_option)
            self.select = None


def parse_form(html: str) -> dict[str, list[str]]:
    parser = _FormParser()
    parser.feed(html)
    return parser.data


def rendered_form_data(model_admin: ModelAdmin, obj: models.Model | None, user) -> dict:
    """The fields of the admin's form for `obj` as `user` gets it (the form the history version page
    posts to as well), as a browser would submit them."""
    request = RequestFactory().get("/")
    request.user = user
    form = model_admin.get_form(request, obj)(instance=obj)
    return parse_form(f'<form id="x_form">{"".join(str(bf) for bf in form)}</form>')


def field_for_key(model_admin: ModelAdmin, obj, user, key: str) -> models.Field | None:
    """The model field a posted key sets: `name` on the admin's model, or `<prefix>-<n>-<name>` on an
    inline's model."""
    model, name = model_admin.model, key
    if "-" in key:
        prefix, _, rest = key.partition("-")
        request = RequestFactory().get("/")
        request.user = user
        inlines = {
            inline.get_formset(request, obj).get_default_prefix(): inline.model
            for inline in model_admin.get_inline_instances(request, obj)
        }
        if prefix not in inlines or rest.count("-") != 1:
            return None
        model, name = inlines[prefix], rest.partition("-")[2]
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:  # management form keys and the like
        return None


def snapshot() -> dict[str, list[dict]]:
    rows = {}
    for label in SNAPSHOT_APPS:
        for model in apps.get_app_config(label).get_models():
            rows[model._meta.label] = list(model._default_manager.order_by("pk").values())
    return rows
