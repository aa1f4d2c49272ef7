"""The helper's side: apply, see an application (status, QR code, contact, thank-yous), cancel or
release, leave an impression, download the participation certificate."""

import io

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_ratelimit.decorators import ratelimit

from accounts.permissions import AuthenticatedHttpRequest
from portal.forms.applications import ApplyForm, ImpressionForm
from portal.models import Application, Session, ThankYou
from portal.permissions import (
    can_see_nushi_contact,
    can_use_thread,
    helper_scope,
    is_public_program,
)
from portal.selectors.applications import eligibility_problems
from portal.services import applications as services
from portal.services.errors import NotEligible, ServiceError
from portal.services.thanks import impression_save

# Per helper: enough for anyone applying by hand, a wall for a script. Over it, the form is shown
# again with the typed message kept, and nothing is written.
APPLY_RATE = getattr(settings, "APPLY_RATE", "20/h")


def _get_own_application(request: AuthenticatedHttpRequest, pk: int) -> Application:
    """The signed-in helper's own application, or 404 (another helper's does not exist for them)."""
    return get_object_or_404(
        helper_scope(
            request.user,
            Application.objects.select_related(
                "session__program__municipality", "session__program__nushi"
            ),
        ),
        pk=pk,
    )


def _open_session(pk: int) -> Session:
    return get_object_or_404(
        Session.objects.select_related("program__municipality", "program__nushi"), pk=pk
    )


@login_required
@ratelimit(key="user", rate=APPLY_RATE, method="POST", block=False)
def application_apply(request: AuthenticatedHttpRequest, session_pk: int) -> HttpResponse:
    session = _open_session(session_pk)
    if not is_public_program(session.program):
        raise Http404
    form = ApplyForm(request.POST if request.method == "POST" else None)
    status = 200
    # On a POST the service checks eligibility itself (in its transaction); checking here as well would
    # double the work of the busiest write. The page computes them only when it is shown.
    problems = None
    if request.method == "POST":
        if getattr(request, "limited", False):
            messages.error(
                request,
                _(
                    "短い時間に応募が集中しています。しばらく待ってから、もう一度「応募する」を押してください（入力内容は残っています）。"
                ),
            )
            status = 429
        elif form.is_valid():
            try:
                application = services.application_submit(
                    helper=request.user, session_id=session.pk, message=form.cleaned_data["message"]
                )
            except NotEligible as exc:
                if held := _held_application(request, session, exc.problems):
                    # The same form sent again (back after applying): to the application.
                    messages.info(
                        request, _("この日程にはすでに応募しています。応募の内容はこちらです。")
                    )
                    return redirect("application_detail", pk=held)
                problems = exc.problems
                status = 409
            except ServiceError as exc:
                messages.error(request, exc.message)
                status = 409
            else:
                messages.success(
                    request, application.get_status_display() + " — " + _("応募しました。")
                )
                return redirect("application_detail", pk=application.pk)
    if problems is None:
        problems = eligibility_problems(helper=request.user, session=session)
    # Back after applying: the page links to the application instead of a refusal in red.
    held = _held_application(request, session, problems)
    return render(
        request,
        "portal/applications/apply.html",
        {
            "session": session,
            "program": session.program,
            "form": form,
            "problems": problems,
            "held": held,
        },
        status=200 if held else status,
    )


def _held_application(
    request: AuthenticatedHttpRequest, session: Session, problems: list
) -> int | None:
    """The helper's active application for the session, when the refusal is that they hold one (looked
    up only then: the busiest write pays nothing for it)."""
    if not any(p.code == "already_applied" for p in problems):
        return None
    return (
        Application.objects.filter(
            session=session, helper_id=request.user.pk, status__in=Application.ACTIVE
        )
        .values_list("pk", flat=True)
        .first()
    )


@login_required
def application_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    application = _get_own_application(request, pk)
    session = application.session
    now = timezone.now()
    attended = application.status == Application.Status.ATTENDED
    context = {
        "application": application,
        "session": session,
        "program": session.program,
        "show_contact": can_see_nushi_contact(request.user, session),
        "can_cancel": application.status in ("applied", "accepted", "waitlisted")
        and now < session.starts_at,
        # An online program has no reception to show a QR code at.
        "show_qr": application.status == Application.Status.ACCEPTED
        and not session.program.is_online,
        "can_use_thread": can_use_thread(request.user, session),
        "thank_yous": ThankYou.objects.filter(session=session).prefetch_related("photos")
        if attended
        else [],
        "impression_form": ImpressionForm(
            initial={"body": getattr(getattr(application, "impression", None), "body", "")}
        )
        if attended
        else None,
    }
    return render(request, "portal/applications/detail.html", context)


@login_required
@require_POST
def application_cancel(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    application = _get_own_application(request, pk)
    try:
        services.application_cancel(application_id=application.pk, actor=request.user)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("キャンセルしました。"))
    return redirect("application_detail", pk=application.pk)


@login_required
def application_qr(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The check-in QR code (SVG) of the helper's own accepted application; it encodes the short code."""
    application = _get_own_application(request, pk)
    # An online program has no reception: there is no QR code to show.
    if application.status not in Application.HOLDS_PLACE or application.session.program.is_online:
        raise Http404
    out = io.BytesIO()
    segno.make(application.checkin_code, error="m").save(out, kind="svg", scale=8, border=2)
    response = HttpResponse(out.getvalue(), content_type="image/svg+xml")
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def application_impression(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    application = _get_own_application(request, pk)
    form = ImpressionForm(request.POST)
    if form.is_valid():
        try:
            impression_save(
                application=application,
                body=form.cleaned_data["body"],
                may_publish=form.cleaned_data["may_publish"],
            )
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("感想を送りました。ありがとうございます。"))
    else:
        messages.error(request, _("感想を入力してください。"))
    return redirect("application_detail", pk=application.pk)


@login_required
def application_certificate(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Participation certificate (PDF, IPAex font) for an attended session: proof of activity, e.g. for
    the national ふるさと住民登録 scheme."""
    application = _get_own_application(request, pk)
    if application.status != Application.Status.ATTENDED:
        messages.error(request, _("参加証明書は、参加済みの日程について発行できます。"))
        return redirect("application_detail", pk=application.pk)
    from weasyprint import HTML  # heavy import: only here

    session = application.session
    hours = (session.ends_at - session.starts_at).total_seconds() / 3600
    profile = getattr(request.user, "helper_profile", None)
    html = render_to_string(
        "portal/applications/certificate.html",
        {
            "application": application,
            "session": session,
            "program": session.program,
            "municipality": session.program.municipality,
            "name": request.user.name or (profile.display_name if profile else request.user.email),
            "hours": f"{hours:g}",
            "issued": timezone.localdate(),
        },
    )
    pdf = HTML(string=html).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="certificate-{application.pk}.pdf"'
    return response
