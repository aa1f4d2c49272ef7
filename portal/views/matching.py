"""Matching's pages for hosts: the invitation candidates of a session (one-click invitation through the
outbox) and the allocation proposal of a program's selection sessions. The helpers' recommendations are
an include (templates/matching/_recommendations.html, portal.templatetags.matching_tags)."""

from collections.abc import Iterable
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import AuthenticatedHttpRequest
from accounts.selectors import public_name
from portal.forms.common import ConfirmForm
from portal.models import Application, Program, Session
from portal.permissions import can_host_program, can_manage_session
from portal.selectors import previews
from portal.selectors.matching import allocation_proposal, invitation_candidates
from portal.services import matching as services
from portal.services.errors import ServiceError
from portal.views.confirm import confirm_page, posted


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


def _applied(sessions: Iterable[Session]) -> dict[tuple[int, int], Application]:
    """The applications still under selection in the proposal's sessions, by (helper, session)."""
    return {
        (a.helper_id, a.session_id): a
        for a in Application.objects.filter(
            session__in=list(sessions), status=Application.Status.APPLIED
        ).select_related("helper__helper_profile", "session")
    }


@login_required
@require_GET
def program_allocation(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The proposal, to adjust; its form goes (by GET) to the confirmation page."""
    program = _get_program_for_host(request, pk)
    proposal = allocation_proposal(program)
    applications = _applied(proposal.sessions)
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


@login_required
@require_http_methods(["GET", "POST"])
def program_allocation_confirm(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The allocation's confirmation page: who will be accepted and what they are told, who stays
    under selection; its POST (confirmed) accepts each through the decision service. The choice
    stays in the address (GET), which the confirmation's POST keeps."""
    program = _get_program_for_host(request, pk)
    applications = _applied(allocation_proposal(program).sessions)
    choice = AllocationForm(request.GET, choices=[a.pk for a in applications.values()])
    if not choice.is_valid():
        messages.error(request, _("選び直してください: この応募はもう選考中ではありません。"))
        return redirect("program_allocation", program.pk)
    chosen = set(choice.cleaned_data["accept"])
    if not chosen:
        messages.error(request, _("参加確定にする方を選んでください。"))
        return redirect("program_allocation", program.pk)
    form = ConfirmForm(posted(request))
    if request.method == "POST" and form.is_valid():
        problems = services.allocation_confirm(
            program=program, application_ids=sorted(chosen), actor=request.user
        )
        for problem in problems:
            messages.error(request, problem)
        accepted = len(chosen) - len(problems)
        if accepted:
            messages.success(request, _("%(n)d人を参加確定にしました。") % {"n": accepted})
        return redirect("program_allocation", program.pk)
    in_order = sorted(applications.values(), key=lambda a: (a.session.starts_at, a.created_at))
    left = [public_name(a.helper) for a in in_order if a.pk not in chosen]
    return confirm_page(
        request,
        heading=_("選考の結果を決める"),
        program=program,
        facts=[
            _("選んだ方が参加確定になり、下のお知らせが届きます。参加確定は元に戻せません。"),
            _(
                "定員を超える分や、ほかの参加と時間が重なる方は参加確定にできず、そのままになります。"
            ),
        ],
        preview=previews.decisions_preview(
            accept=[a for a in in_order if a.pk in chosen], decline=[], note=""
        ),
        affected=[(_("選考中のまま（お知らせは届きません）"), left)] if left else [],
        form=form,
        submit_label=_("参加確定にしてお知らせを送る"),
        back_url=reverse("program_allocation", args=[program.pk]),
    )
