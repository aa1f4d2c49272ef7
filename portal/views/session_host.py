"""The nushi's and staff's side of a session: roster with decisions, check-in (camera or typed code),
bulk attendance, closing; staff cancel or move to the rain date; the thread; the thank-you; a draft
activity report from the thank-you loop."""

from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.permissions import AuthenticatedHttpRequest
from accounts.selectors import public_name
from portal.forms.applications import BulkDecisionForm, DecisionForm
from portal.forms.common import ConfirmForm, FormTokenForm, ReasonConfirmForm
from portal.forms.sessions import (
    AttendanceForm,
    CheckinForm,
    MessageForm,
    SessionCancelForm,
    ThankYouForm,
)
from portal.models import Application, Attendance, Session, ThankYou
from portal.permissions import (
    can_cancel_for_helper,
    can_change_session,
    can_manage_session,
    can_see_nushi_contact,
    can_use_private_thread,
    can_use_thread,
)
from portal.selectors import previews
from portal.selectors.sessions import (
    checkin_open,
    checkin_opens_at,
    decisions_open,
    roster,
    roster_rows,
    roster_sections,
    thread_messages,
)
from portal.services import applications as services
from portal.services import attendance as attendance_services
from portal.services import session_changes
from portal.services.decisions import applications_decide
from portal.services.errors import AlreadySubmitted, ServiceError
from portal.services.reports import activity_report_draft_from_session
from portal.services.thanks import (
    application_message_post,
    session_message_post,
    thank_you_send,
)
from portal.views.confirm import confirm_page, posted
from portal.views.form_tokens import earlier_sending, form_token_of, land_after_refusal

# The applications a host still decides on (accept or decline).
UNDECIDED = (Application.Status.APPLIED, Application.Status.WAITLISTED)


def _session(pk: int) -> Session:
    return get_object_or_404(
        Session.objects.select_related("program__municipality", "program__nushi"), pk=pk
    )


def _get_session_for_host(request: AuthenticatedHttpRequest, pk: int) -> Session:
    """The session if the user is one of its nushi's members or staff of its municipality, else 404."""
    session = _session(pk)
    if not can_manage_session(request.user, session):
        raise Http404
    return session


def _get_session_for_staff(request: AuthenticatedHttpRequest, pk: int) -> Session:
    session = _session(pk)
    if not can_change_session(request.user, session):
        raise Http404
    return session


@login_required
def session_roster(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    session = _get_session_for_host(request, pk)
    rows = roster_rows(session)
    applications = [row.application for row in rows]
    sections = roster_sections(rows)
    markable = [a for a in applications if a.status in ("accepted", "attended", "no_show")]
    now = timezone.now()
    return render(
        request,
        "portal/applications/roster.html",
        {
            "session": session,
            "program": session.program,
            "applications": applications,
            "sections": sections,
            "held": len(sections[0].rows),
            "attendance_form": AttendanceForm(applications=markable)
            if now >= session.starts_at
            else None,
            "is_staff": can_change_session(request.user, session),
            "is_open": session.status == Session.Status.SCHEDULED,
            "checkin_open": checkin_open(session, now),
            "checkin_opens_at": checkin_opens_at(session),
            "started": now >= session.starts_at,
            "can_decide": decisions_open(session, now),
            "draft_form": FormTokenForm(),
            "undecided": sum(a.status in UNDECIDED for a in applications),
            "ended": now >= session.ends_at,
            "Status": Application.Status,
        },
    )


@login_required
@require_POST
def application_decide(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    application = get_object_or_404(Application.objects.select_related("session__program"), pk=pk)
    if not can_manage_session(request.user, application.session):
        raise Http404
    form = DecisionForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, str(errors[0]))
        return redirect("session_roster", pk=application.session_id)
    decision, note = form.cleaned_data["decision"], form.cleaned_data["reason"]
    # The nushi accepts or declines; taking an accepted helper's place away is staff's (the service
    # checks the same rule).
    if decision == "cancel" and not can_cancel_for_helper(request.user, application.session):
        raise PermissionDenied
    try:
        if decision == "accept":
            services.application_accept(application_id=pk, actor=request.user)
            messages.success(request, _("参加確定にしました。"))
        elif decision == "decline":
            services.application_decline(application_id=pk, actor=request.user, note=note)
            messages.success(request, _("お見送りにしました。"))
        elif decision == "cancel":
            services.application_cancel(
                application_id=pk, actor=request.user, reason="staff_cancel", note=note
            )
            messages.success(request, _("この方の参加を取り消しました。理由をお伝えしました。"))
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("session_roster", pk=application.session_id)


@login_required
@require_http_methods(["GET", "POST"])
def session_decisions(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A bulk decision from the roster (the nushi of the session or its municipality's staff): the
    choice comes by GET (the ticked applicants, 「選んだ人を採用」 or 「残りをお断り」); this page says
    who is accepted, who is declined and what each is told; its POST (confirmed, with the reason the
    declined are told) decides each through the decision services."""
    session = _get_session_for_host(request, pk)
    back = redirect("session_roster", pk=session.pk)
    if not decisions_open(session, timezone.now()):
        messages.error(request, _("この日程は、もう選考の結果を決められません。"))
        return back
    undecided = list(roster(session).filter(status__in=UNDECIDED))
    choice = BulkDecisionForm(request.GET, undecided=undecided)
    if not choice.is_valid():
        for errors in choice.errors.values():
            messages.error(request, str(errors[0]))
        return back
    accept, decline = choice.split()
    form: ConfirmForm = (ReasonConfirmForm if decline else ConfirmForm)(posted(request))
    if decline:
        form.fields["reason"].label = _("お見送りの理由（お見送りになる方全員に届きます）")
    if request.method == "POST" and form.is_valid():
        decided = applications_decide(
            session=session,
            accept_ids=[a.pk for a in accept],
            decline_ids=[a.pk for a in decline],
            actor=request.user,
            note=form.cleaned_data.get("reason", ""),
        )
        for problem in decided.problems:
            messages.error(request, problem)
        if decided.accepted or decided.declined:
            messages.success(
                request,
                _("%(a)d人を参加確定に、%(d)d人をお見送りにしました。お知らせを送ります。")
                % {"a": decided.accepted, "d": decided.declined},
            )
        return back
    reason = form.data.get("reason", "").strip()
    left = [a for a in undecided if a not in accept and a not in decline]
    facts = [
        _("参加確定とお見送りは、あとから元に戻せません。"),
        _("定員を超える分や、ほかの参加と時間が重なる方は参加確定にできず、そのままになります。"),
    ]
    return confirm_page(
        request,
        heading=_("選考の結果を決める"),
        program=session.program,
        session=session,
        facts=facts,
        preview=previews.decisions_preview(
            accept=accept,
            decline=decline,
            note=reason or str(_("（ここに入力したお見送りの理由が入ります）")),
        ),
        affected=[
            (_("選考中のまま（お知らせは届きません）"), [public_name(a.helper) for a in left])
        ]
        if left
        else [],
        form=form,
        submit_label=_("決定してお知らせを送る"),
        back_url=reverse("session_roster", args=[session.pk]),
    )


@login_required
def session_checkin(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Check-in page for a phone: the camera reads the QR code (BarcodeDetector, static/portal/checkin.js)
    and submits the code; without a camera the code is typed."""
    session = _get_session_for_host(request, pk)
    form = CheckinForm(request.POST or None)
    checked = None
    status = 200
    if request.method == "POST" and form.is_valid():
        method = Attendance.Method.QR if request.POST.get("via") == "qr" else Attendance.Method.CODE
        try:
            checked, created = attendance_services.attendance_check_in(
                session_id=session.pk,
                code=form.cleaned_data["code"],
                actor=request.user,
                method=method,
            )
        except ServiceError as exc:
            messages.error(request, exc.message)
            status = 409
        else:
            name = getattr(getattr(checked.helper, "helper_profile", None), "display_name", "")
            if created:
                messages.success(request, _("%(name)sさんの受付をしました。") % {"name": name})
            else:
                messages.info(request, _("%(name)sさんは受付済みです。") % {"name": name})
            return redirect("session_checkin", pk=session.pk)
    counts = {
        "attended": session.applications.filter(status=Application.Status.ATTENDED).count(),
        "expected": session.applications.filter(status__in=Application.HOLDS_PLACE).count(),
    }
    return render(
        request,
        "portal/applications/checkin.html",
        {"session": session, "program": session.program, "form": CheckinForm(), "counts": counts,
         "checked": checked, "checkin_open": checkin_open(session),
         "checkin_opens_at": checkin_opens_at(session)},
        status=status,
    )  # fmt: skip


@login_required
@require_POST
def session_attendance(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    session = _get_session_for_host(request, pk)
    markable = session.applications.filter(
        status__in=("accepted", "attended", "no_show")
    ).select_related("helper__helper_profile")
    form = AttendanceForm(request.POST, applications=markable)
    if form.is_valid():
        try:
            n = attendance_services.attendance_mark(
                session_id=session.pk, marks=form.marks(), actor=request.user
            )
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("出欠を%(n)d件登録しました。") % {"n": n})
    return redirect("session_roster", pk=session.pk)


@login_required
@require_http_methods(["GET", "POST"])
def session_close(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Closing makes attendance final (and credits points): confirmed on a page that says so."""
    session = _get_session_for_host(request, pk)
    form = ConfirmForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            attendance_services.session_close(session_id=session.pk, actor=request.user)
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("この日程を締めました。出欠は確定です。"))
        return redirect("session_roster", pk=session.pk)
    by_status: dict[str, list[str]] = {}
    marked_or_held = ("accepted", "attended", "no_show")
    for application in roster(session).filter(status__in=marked_or_held):
        by_status.setdefault(application.status, []).append(public_name(application.helper))
    facts = [
        _("締めると出欠は確定し、参加の方にポイントが付与されます。"),
        _("締めたあとは出欠を直せません。元に戻せません。"),
        _("この操作でお知らせは送られません。"),
    ]
    if unmarked := len(by_status.get(Application.Status.ACCEPTED, [])):
        # The service refuses then; say so before the button is pressed.
        facts.insert(
            0,
            _("出欠が未入力の方が%(n)d人います。すべて入力してから締めてください。")
            % {"n": unmarked},
        )
    return confirm_page(
        request,
        heading=_("この日程を締める"),
        program=session.program,
        session=session,
        facts=facts,
        affected=[
            (_("参加"), by_status.get(Application.Status.ATTENDED, [])),
            (_("欠席"), by_status.get(Application.Status.NO_SHOW, [])),
            (_("出欠が未入力"), by_status.get(Application.Status.ACCEPTED, [])),
        ],
        form=form,
        submit_label=_("出欠を確定して締める"),
        back_url=reverse("session_roster", args=[session.pk]),
    )


@login_required
@require_http_methods(["GET", "POST"])
def session_cancel(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Staff cancel a session, after a page that shows who will be told what; the reason is
    required."""
    session = _get_session_for_staff(request, pk)
    form = SessionCancelForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            n = session_changes.session_cancel(
                session_id=session.pk, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("中止にしました（%(n)d人に連絡しました）。") % {"n": n})
        return redirect("session_roster", pk=session.pk)
    reason = form.data.get("reason", "").strip() or _("（ここに入力した中止の理由が入ります）")
    return confirm_page(
        request,
        heading=_("この日程を中止する"),
        program=session.program,
        session=session,
        facts=[
            _("応募している方全員の応募が取り消され、下のお知らせが届きます。"),
            _("中止は元に戻せません。"),
        ],
        preview=previews.session_cancel_preview(session, reason=reason),
        form=form,
        submit_label=_("中止して全員に連絡する"),
        back_url=reverse("session_roster", args=[session.pk]),
    )


@login_required
@require_http_methods(["GET", "POST"])
def session_rain_date(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Staff move a session to its rain date, after a page with the new date and who will be told."""
    session = _get_session_for_staff(request, pk)
    if session.rain_starts_at is None or session.rain_ends_at is None or session.moved_to_rain_date:
        messages.error(request, _("この日程は予備日に変更できません。"))
        return redirect("session_roster", pk=session.pk)
    form = ConfirmForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            session_changes.session_move_to_rain_date(session_id=session.pk, actor=request.user)
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("予備日に変更し、全員に連絡しました。"))
        return redirect("session_roster", pk=session.pk)
    new_date = _when(session.rain_starts_at, session.rain_ends_at)
    return confirm_page(
        request,
        heading=_("予備日に変更する"),
        program=session.program,
        session=session,
        facts=[
            _("新しい日時: %(when)s") % {"when": new_date},
            _("応募している方全員に、下のお知らせが届きます。"),
            _("予備日への変更は元に戻せません。"),
        ],
        preview=previews.session_rain_date_preview(session),
        form=form,
        submit_label=_("予備日に変更して全員に連絡する"),
        back_url=reverse("session_roster", args=[session.pk]),
    )


def _when(starts_at: datetime, ends_at: datetime) -> str:
    """A session's times as the pages write them (Asia/Tokyo)."""
    start, end = timezone.localtime(starts_at), timezone.localtime(ends_at)
    return f"{date_format(start, _('Y年n月j日(D) H:i'))}〜{date_format(end, 'H:i')}"


@login_required
def session_messages(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The group thread: every helper holding a place, the nushi's members and staff read it."""
    session = _session(pk)
    if not can_use_thread(request.user, session):
        raise Http404
    form = MessageForm(request.POST or None)

    def land(_pk: int) -> HttpResponse:
        return redirect("session_messages", pk=session.pk)

    if (done := earlier_sending(request, form, land)) is not None:
        return done
    if request.method == "POST" and form.is_valid():
        try:
            session_message_post(
                session=session,
                actor=request.user,
                body=form.cleaned_data["body"],
                form_token=form_token_of(form),
            )
        except AlreadySubmitted as exc:
            if (landed := land_after_refusal(request, form, exc, land)) is not None:
                return landed
        else:
            return land(session.pk)
    return render(
        request,
        "portal/applications/messages.html",
        {"session": session, "program": session.program, "thread": thread_messages(session),
         "form": form, "show_contact": can_see_nushi_contact(request.user, session),
         "private": False},
    )  # fmt: skip


@login_required
def application_messages(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """One application's private thread: its helper and the hosts only (can_use_private_thread)."""
    application = get_object_or_404(
        Application.objects.select_related(
            "session__program__municipality", "session__program__nushi", "helper__helper_profile"
        ),
        pk=pk,
    )
    if not can_use_private_thread(request.user, application):
        raise Http404
    session = application.session
    form = MessageForm(request.POST or None)

    def land(_pk: int) -> HttpResponse:
        return redirect("application_messages", pk=application.pk)

    if (done := earlier_sending(request, form, land)) is not None:
        return done
    if request.method == "POST" and form.is_valid():
        try:
            application_message_post(
                application=application,
                actor=request.user,
                body=form.cleaned_data["body"],
                form_token=form_token_of(form),
            )
        except AlreadySubmitted as exc:
            if (landed := land_after_refusal(request, form, exc, land)) is not None:
                return landed
        else:
            return land(application.pk)
    return render(
        request,
        "portal/applications/messages.html",
        {"session": session, "program": session.program, "form": form, "private": True,
         "application": application, "thread": thread_messages(session, application),
         "is_helper": request.user.pk == application.helper_id},
    )  # fmt: skip


@login_required
def session_thanks(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    session = _get_session_for_host(request, pk)
    form = ThankYouForm(request.POST or None, request.FILES or None)

    def land(_pk: int) -> HttpResponse:  # where the first sending led
        return redirect("session_roster", pk=session.pk)

    if (done := earlier_sending(request, form, land)) is not None:
        return done
    if request.method == "POST" and form.is_valid():
        try:
            thank_you_send(
                session=session,
                actor=request.user,
                body=form.cleaned_data["body"],
                photos=form.cleaned_data["photos"],
                form_token=form_token_of(form),
            )
        except AlreadySubmitted as exc:
            if (landed := land_after_refusal(request, form, exc, land)) is not None:
                return landed
        except ServiceError as exc:
            messages.error(request, exc.message)
        except ValidationError as exc:  # from process_upload: shown on the photos field
            form.add_error("photos", exc)
        else:
            messages.success(request, _("お礼のメッセージを参加者に送りました。"))
            return redirect("session_roster", pk=session.pk)
    sent = ThankYou.objects.filter(session=session).prefetch_related("photos")
    return render(
        request,
        "portal/applications/thanks.html",
        {"session": session, "program": session.program, "form": form, "sent": sent},
    )


@login_required
@require_POST
def session_report_draft(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    session = _get_session_for_staff(request, pk)
    form = FormTokenForm(request.POST)

    def land(report_pk: int) -> HttpResponse:
        return redirect("staff_report_detail", pk=report_pk)

    if (done := earlier_sending(request, form, land)) is not None:
        return done
    try:
        report = activity_report_draft_from_session(
            session=session, actor=request.user, form_token=form_token_of(form)
        )
    except AlreadySubmitted as exc:
        if exc.object_id is not None:
            return land(exc.object_id)
        messages.error(request, exc.message)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("活動レポートの下書き「%(title)s」を作りました。") % {"title": report.title}
        )
    return redirect("session_roster", pk=session.pk)
