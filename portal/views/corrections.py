"""Staff correct the attendance of a closed session (attended <-> no-show), with a required reason, on
a confirmation page that says what happens to the points (credit, reversal, the point code or the
operator) and shows the message the helper will receive (points.previews, rendered from the very
context the notice uses). The target state is in the URL: a page left open while a colleague made
the same correction cannot flip it back."""

from dataclasses import replace

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.permissions import AuthenticatedHttpRequest
from accounts.selectors import public_name
from notifications.rendering import one_line_subject, render_message
from points import previews as points_previews
from portal.forms.corrections import AttendanceCorrectForm
from portal.models import Application, Session
from portal.permissions import can_correct_attendance
from portal.selectors.previews import Group, Preview
from portal.services import attendance as attendance_services
from portal.services.errors import ServiceError
from portal.views.confirm import confirm_page, posted

Status = Application.Status
CORRECTABLE: dict[str, str] = {Status.ATTENDED: Status.NO_SHOW, Status.NO_SHOW: Status.ATTENDED}


def _get_application_for_correction(request: AuthenticatedHttpRequest, pk: int) -> Application:
    """The application if the user is staff of its municipality, else 404 (the nushi too)."""
    application = get_object_or_404(
        Application.objects.select_related(
            "session__program__municipality", "session__program__nushi", "helper__helper_profile"
        ),
        pk=pk,
    )
    if not can_correct_attendance(request.user, application.session):
        raise Http404
    return application


def _facts(
    forecast: points_previews.Forecast, *, to: str, points_name: str, waiting: bool
) -> list[str]:
    name = points_name or _("ポイント")
    facts = [
        _("出欠を「%(frm)s」から「%(to)s」に直します。")
        % {"frm": Status(CORRECTABLE[Status(to)]).label, "to": Status(to).label},
    ]
    amount = {"n": forecast.amount, "name": name}
    if forecast.outcome == "reverse":
        facts.append(_("付与した %(n)d %(name)sを取り消します。") % amount)
        if forecast.short:
            facts.append(
                _("%(short)d %(name)sは交換・失効済みのため取り消せません。")
                % {"short": forecast.short, "name": name}
            )
        if forecast.issuer == "operator":
            facts.append(_("ポイント事業者に取り消しを送ります（元の付与が確認されてから）。"))
        elif forecast.issuer == "code_void":
            facts.append(
                _("ポイントコード %(code)s は無効になり、交換できなくなります。")
                % {"code": forecast.code}
            )
        elif forecast.issuer == "code_redeemed":
            facts.append(
                _(
                    "ポイントコード %(code)s はすでに交換済みのため取り戻せません。"
                    "事業者との照合ページに載ります。"
                )
                % {"code": forecast.code}
            )
    elif forecast.outcome == "credit":
        facts.append(_("%(n)d %(name)sを予算から付与します。") % amount)
        if forecast.issuer == "operator":
            facts.append(_("ポイント事業者に付与を送ります。"))
        elif forecast.issuer == "codes":
            facts.append(_("ポイントコードを1枚発行します。"))
    elif forecast.outcome == "pending":
        facts.append(
            _("予算が足りないため、%(n)d %(name)sの付与は保留になり、事務局にお知らせが届きます。")
            % amount
        )
    elif waiting:
        facts.append(_("保留になっている付与は取りやめます。"))
    else:
        facts.append(_("ポイントは動きません。"))
    facts.append(_("訂正は記録に残ります。もう一度訂正すれば元に戻せます。"))
    return facts


def _preview(application: Application, forecast: points_previews.Forecast) -> Preview:
    """The helper's message, rendered as the outbox will render it."""
    if forecast.notice is None:
        return Preview()
    kind, context = forecast.notice
    rendered = render_message(
        kind, {**context, "site_url": settings.SITE_URL}, translation.get_language()
    )
    rendered = replace(rendered, subject=one_line_subject(rendered.subject))
    return Preview(
        groups=[
            Group(
                label=_("お手伝いさん"),
                names=[public_name(application.helper)],
                count=1,
                message=rendered,
            )
        ]
    )


@login_required
@require_http_methods(["GET", "POST"])
def attendance_correct(request: AuthenticatedHttpRequest, pk: int, to: str) -> HttpResponse:
    application = _get_application_for_correction(request, pk)
    session = application.session
    back_url = reverse("session_roster", args=[session.pk])
    if to not in CORRECTABLE:
        raise Http404
    if session.status != Session.Status.CLOSED or CORRECTABLE.get(application.status) != to:
        # Not closed yet (the roster's attendance form is the way then), or already corrected.
        messages.error(
            request,
            _("この出欠は訂正できません。締めた日程の、参加か欠席の方だけ訂正できます。")
            if session.status != Session.Status.CLOSED or application.status not in CORRECTABLE
            else _("この出欠はすでに「%(status)s」です。")
            % {"status": application.get_status_display()},
        )
        return redirect(back_url)
    form = AttendanceCorrectForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            attendance_services.attendance_correct(
                application_id=application.pk,
                to=to,
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("%(name)sさんの出欠を「%(to)s」に直しました。ポイントはこのあと反映されます。")
                % {"name": public_name(application.helper), "to": Status(to).label},
            )
            return redirect(back_url)
    program = session.program
    reason = form.data.get("reason", "").strip() or _("（ここに入力した訂正の理由が入ります）")
    forecast = points_previews.settlement_forecast(
        application_id=application.pk,
        to=to,
        reason=reason,
        municipality_id=program.municipality_id,
        points=program.points_per_participant,
        # As points.services writes a credit's memo.
        memo=f"{program.title} {timezone.localtime(session.starts_at):%Y-%m-%d}",
    )
    response = confirm_page(
        request,
        heading=_("%(name)sさんの出欠を訂正する") % {"name": public_name(application.helper)},
        program=program,
        session=session,
        facts=_facts(
            forecast,
            to=to,
            points_name=program.municipality.points_name,
            waiting=points_previews.pending_credit_waits(application_id=application.pk),
        ),
        preview=_preview(application, forecast),
        form=form,
        submit_label=_("「%(to)s」に訂正する") % {"to": Status(to).label},
        back_url=back_url,
    )
    if form.errors:
        response.status_code = 400
    return response
