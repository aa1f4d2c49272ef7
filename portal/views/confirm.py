"""The confirmation page of an action that tells people or cannot be undone (cancel a session or a
program, move a session to its rain date, close, reject): what will happen, who will be told what
(portal.selectors.previews), and the form whose POST runs the action."""

from collections.abc import Sequence

from django.forms import Form
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render

from portal.models import Program, Session
from portal.selectors.previews import Preview


def confirm_page(
    request: HttpRequest,
    *,
    heading: str,
    program: Program,
    form: Form,
    submit_label: str,
    back_url: str,
    facts: Sequence[str] = (),
    preview: Preview | None = None,
    affected: Sequence[tuple[str, list[str]]] = (),
    session: Session | None = None,
    sessions: Sequence[Session] = (),
) -> HttpResponse:
    """`facts`: what happens, what cannot be undone; `preview`: who is told what; `affected`: people
    the action concerns without telling them (label, display names); `sessions`: the sessions it
    changes, when there are several."""
    return render(
        request,
        "portal/confirm.html",
        {
            "heading": heading,
            "program": program,
            "session": session,
            "sessions": sessions,
            "facts": facts,
            "preview": preview,
            "affected": affected,
            "form": form,
            "submit_label": submit_label,
            "back_url": back_url,
        },
    )


def posted(request: HttpRequest) -> QueryDict | None:
    """The POST data, even when empty: a confirmation posted with nothing must show its errors rather
    than the page as new (`request.POST or None` would)."""
    return request.POST if request.method == "POST" else None
