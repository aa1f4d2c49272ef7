"""A message's texts from its kind's templates, in the recipient's language.

templates/notifications/<kind>/subject.txt, body.txt and line.txt are plain text (no HTML escaping: they
go into an email's text part and a LINE message); body.html, where a kind has one, is an HTML email part
rendered with escaping on. Every template receives the context the notice passed (plain data: strings,
numbers, dates, URLs) plus `site_url`.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.conf import settings
from django.template import Engine, TemplateDoesNotExist
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from accounts.text import single_line
from notifications.models import SUBJECT_MAX_LENGTH


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str
    line: str
    html: str


@cache
def _text_engine() -> Engine:
    """The project's template folders, with escaping off: these texts are not HTML."""
    django_engine: dict[str, Any] = settings.TEMPLATES[0]
    return Engine(
        dirs=[str(d) for d in django_engine.get("DIRS", [])],
        app_dirs=django_engine.get("APP_DIRS", False),
        autoescape=False,
        builtins=["django.templatetags.i18n", "django.templatetags.l10n", "django.templatetags.tz"],
        # Loadable too, so that a template written for the HTML engine ({% load i18n %}) works here.
        libraries={
            "i18n": "django.templatetags.i18n",
            "l10n": "django.templatetags.l10n",
            "tz": "django.templatetags.tz",
            "accounts_tags": "accounts.templatetags.accounts_tags",
        },
    )


def template_names(kind: str) -> dict[str, str]:
    return {
        part: f"notifications/{kind}/{part}"
        for part in ("subject.txt", "body.txt", "line.txt", "body.html")
    }


# Inside reusing_renders(): the texts rendered so far, by kind, language and context.
_renders: ContextVar[dict[tuple, Rendered] | None] = ContextVar(
    "notifications_renders", default=None
)


@contextmanager
def reusing_renders() -> Iterator[None]:
    """Inside, a message whose kind, language and context were rendered before reuses those texts (the
    hundred attendees of one closed session get the same「500 さるぼぼコインを受け取りました」). A context
    with a value that cannot be a dict key is rendered every time."""
    token = _renders.set({})
    try:
        yield
    finally:
        _renders.reset(token)


def render_message(kind: str, context: dict, language: str) -> Rendered:
    """The kind's subject, body, LINE text and (if the kind has one) HTML body in `language`."""
    renders = _renders.get()
    if renders is None:
        return _render(kind, context, language)
    try:
        key = (kind, language, frozenset(context.items()))
        hash(key)
    except TypeError:  # a list or a dict among the values
        return _render(kind, context, language)
    if key not in renders:
        renders[key] = _render(kind, context, language)
    return renders[key]


def _render(kind: str, context: dict, language: str) -> Rendered:
    names = template_names(kind)
    engine = _text_engine()
    with translation.override(language):
        subject = single_line(engine.render_to_string(names["subject.txt"], context)).strip()
        body = engine.render_to_string(names["body.txt"], context).strip() + "\n"
        line = engine.render_to_string(names["line.txt"], context).strip()
        html: str
        try:
            html = render_to_string(names["body.html"], context)
        except TemplateDoesNotExist:
            html = ""
    return Rendered(subject=subject, body=body, line=line, html=html)


def one_line_subject(text: str) -> str:
    """A subject as an email header takes it: one line (Django refuses a header with a line break at
    send time, so a title typed over two lines would silence every message about it) that fits the
    column (a long title must not fail the change that notifies)."""
    text = single_line(text).strip()
    limit = SUBJECT_MAX_LENGTH
    return text if len(text) <= limit else text[: limit - 1] + "…"


def site_url(viewname: str, *args) -> str:
    """An absolute URL for a message: emails are read outside the site, so a path from reverse() alone
    would not work. Every link put into a notification is built here."""
    return settings.SITE_URL.rstrip("/") + reverse(viewname, args=args)
