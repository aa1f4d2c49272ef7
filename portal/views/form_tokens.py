"""The views' side of one-time form tokens (portal.services.form_tokens): a form that creates
something, sent again (back and send, a double tap), lands where the first sending led instead of
creating it twice.

A view asks twice: before validating (`earlier_sending`: the first sending has committed; a replayed
form may no longer validate) and when the service refuses (`land_after_refusal`: the two sendings
crossed, the service's claim waited for the first)."""

from collections.abc import Callable
from uuid import UUID

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from accounts.models import User
from portal.forms.common import add_service_error, chosen_object
from portal.selectors.form_tokens import form_token_result
from portal.services.errors import AlreadySubmitted

# Where a sending lands, given the pk of what it created.
Landing = Callable[[int], HttpResponse]


def form_token_of(form: forms.BaseForm) -> UUID | None:
    """The token a bound form carries (None when missing or not a UUID: the create goes ahead)."""
    return chosen_object(form, "form_token")


def _actor(request: HttpRequest) -> User | None:
    user = request.user
    return user if isinstance(user, User) else None


def already_submitted(request: HttpRequest, route: str, pk: int) -> HttpResponse:
    """A form sent again after it created something: to what it created, with a word, not twice."""
    return _landed(request, redirect(route, pk=pk))


def _landed(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    messages.info(request, _("この内容はすでに受け付けています。受け付けた内容はこちらです。"))
    return response


def earlier_sending(
    request: HttpRequest, form: forms.BaseForm, land: Landing
) -> HttpResponse | None:
    """Before validating a POST: where an earlier sending of this very form led, or None."""
    if request.method != "POST":
        return None
    done = form_token_result(actor=_actor(request), token=form_token_of(form))
    return None if done is None else _landed(request, land(done))


def land_after_refusal(
    request: HttpRequest, form: forms.BaseForm, exc: AlreadySubmitted, land: Landing
) -> HttpResponse | None:
    """The service found the token claimed (the two sendings crossed): land where the first led;
    a token claimed by someone else is a form error (None: show the form again)."""
    if exc.object_id is None:
        add_service_error(form, ValidationError(exc.message))
        return None
    return _landed(request, land(exc.object_id))
