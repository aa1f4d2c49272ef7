"""Matching's pages for hosts: the invitation candidates of a session (one-click invitation through the
outbox) and the allocation proposal of a program's selection sessions. The helpers' recommendations are
an include (templates/matching/_recommendations.html, portal.templatetags.matching_tags)."""

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.permissions import AuthenticatedHttpRequest
from portal.models import Application, Program, Session
from portal.permissions import can_host_program, can_manage_session
from portal.selectors.matching import allocation_proposal, invitation_candidates
from portal.services import matching as services
from portal.services.errors import ServiceError


def _get_session_for_host(request: AuthenticatedHttpRequest, pk: int) -> Session:
    session = get_object_or_404(
        Session.objects.select_related("program__municipality", "program__nushi"), pk=pk
    )
    if not can_manage_session(request.user, session):
        raise Http404
    return session


def _get_program_for_host(request: AuthenticatedHttpRequest, pk: int) -> Program:
    program = get_object_or_404(Program.objects.select_related("municipality", "nushi"), pk=pk)
    if not can_host_program(request.user, program):
        raise Http404
    return program


@login_required
def session_candidates(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    session = _get_session_for_host(request, pk)
    return render(
        request,
        "matching/candidates.html",
        {
            "session": session,
            "program": session.program,
            "candidates": invitation_candidates(session),
        },
    )


class InviteForm(forms.Form):
    helper = forms.IntegerField(min_value=1)


@login_required
@require_POST
def session_invite(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    session = _get_session_for_host(request, pk)
    form = InviteForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("お誘いする方を選んでください。"))
        return redirect("session_candidates", session.pk)
    try:
        services.invitation_send(
            session_id=session.pk, helper_id=form.cleaned_data["helper"], actor=request.user
        )
    except ServiceError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("お誘いを送りました。"))
    return redirect("session_candidates", session.pk)


class AllocationForm(forms.Form):
    """The applications staff keep from the proposal (checkboxes, pre-ticked as proposed)."""

    accept = forms.TypedMultipleChoiceField(coerce=int, required=False)

    def __init__(self, *args: Any, choices: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.TypedMultipleChoiceField, self.fields["accept"])
        field.choices = [(pk, str(pk)) for pk in choices]


@login_required
def program_allocation(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    program = _get_program_for_host(request, pk)
    proposal = allocation_proposal(program)
    applications = {
        (a.helper_id, a.session_id): a
        for a in Application.objects.filter(
            session__in=proposal.sessions, status=Application.Status.APPLIED
        )
    }
    if request.method == "POST":
        form = AllocationForm(request.POST, choices=[a.pk for a in applications.values()])
        if form.is_valid():
            chosen = form.cleaned_data["accept"]
            problems = services.allocation_confirm(
                program=program, application_ids=chosen, actor=request.user
            )
            for problem in problems:
                messages.error(request, problem)
            accepted = len(chosen) - len(problems)
            if accepted:
                messages.success(request, _("%(n)d人を参加確定にしました。") % {"n": accepted})
            return redirect("program_allocation", program.pk)
        messages.error(request, _("選び直してください: この応募はもう選考中ではありません。"))
    rows = []
    for session in proposal.sessions:
        proposed = [p for p in proposal.proposed if p.session_id == session.pk]
        placed = {p.helper_id for p in proposed}
        others = [
            a for (h, s), a in sorted(applications.items()) if s == session.pk and h not in placed
        ]
        rows.append(
            {
                "session": session,
                "proposed": [
                    (p, applications[(p.helper_id, p.session_id)], proposal.applicants[p.helper_id])
                    for p in proposed
                ],
                "others": [(a, proposal.applicants.get(a.helper_id)) for a in others],
            }
        )
    return render(request, "matching/allocation.html", {"program": program, "rows": rows})
