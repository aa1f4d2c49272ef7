"""Staff pages (事務局): the review queue, needs taken by phone or paper, co-designing a program with
the nushi, sessions, photos, publishing and reports. Every object is fetched through a selector scoped to
the staff member's municipalities, so another municipality's objects are 404."""

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from accounts.permissions import AuthenticatedHttpRequest, staff_municipality_ids, staff_required
from notifications import delivery
from notifications import selectors as notification_selectors
from notifications.models import OutboxMessage
from portal import maps
from portal.forms.common import (
    ConfirmForm,
    ReasonConfirmForm,
    ReasonForm,
    add_service_error,
    chosen_object,
)
from portal.forms.needs import NeedForm, StaffIntakeForm
from portal.forms.programs import PhotoForm, ProgramForm
from portal.forms.reports import ReportForm
from portal.forms.sessions import SessionForm
from portal.models import Need, Program, ProgramPhoto
from portal.permissions import outbox_scope, staff_scope
from portal.selectors import needs as needs_selectors
from portal.selectors import previews
from portal.selectors import programs as programs_selectors
from portal.selectors import reports as reports_selectors
from portal.selectors import sessions as sessions_selectors
from portal.selectors.form_tokens import form_token_result
from portal.selectors.needs import QUEUE_NEED_STATES
from portal.services import needs as need_services
from portal.services import programs as program_services
from portal.services import reports as report_services
from portal.services import sessions as session_services
from portal.services._state import InvalidTransition
from portal.services.errors import AlreadySubmitted
from portal.views.confirm import confirm_page, posted
from portal.views.form_tokens import (
    already_submitted,
    earlier_sending,
    form_token_of,
    land_after_refusal,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@staff_required
def staff_home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The review queue. Queries: needs waiting (1), programs not yet closed (1), counts (1)."""
    needs = list(
        needs_selectors.staff_needs(request.user).filter(status__in=QUEUE_NEED_STATES)[:100]
    )
    programs = list(
        programs_selectors.staff_programs(request.user)
        .exclude(
            status__in=[Program.Status.CLOSED, Program.Status.CANCELLED, Program.Status.REJECTED]
        )
        .order_by("status", "-updated_at")[:200]
    )
    counts = dict(
        staff_scope(request.user, Program.objects.all())
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    by_status: dict[str, list[Program]] = {status: [] for status in Program.Status.values}
    for p in programs:
        by_status[p.status].append(p)
    groups = [
        (label, value, by_status[value], counts.get(value, 0))
        for value, label in Program.Status.choices
    ]
    return render(request, "portal/staff/home.html", {"needs": needs, "groups": groups})


@staff_required
@require_http_methods(["GET", "POST"])
def staff_need_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A need taken by phone, on paper or at a visit, entered by staff for the nushi."""
    intake = StaffIntakeForm(
        request.POST or None, municipality_ids=staff_municipality_ids(request.user), prefix="intake"
    )
    org = chosen_object(intake, "organization")
    form = NeedForm(
        request.POST or None,
        request.FILES or None,
        municipality_id=org.municipality_id if org else None,
    )
    token = chosen_object(intake, "form_token")
    if (done := form_token_result(actor=request.user, token=token)) is not None:
        return already_submitted(request, "staff_need_detail", done)
    if request.method == "POST" and intake.is_valid() and form.is_valid():
        try:
            need = need_services.need_submit(
                actor=request.user,
                nushi=intake.cleaned_data["organization"],
                data=form.cleaned_data,
                channel=intake.cleaned_data["channel"],
                form_token=token,
            )
        except AlreadySubmitted as exc:
            if exc.object_id is None:
                add_service_error(form, ValidationError(exc.message))
            else:
                return already_submitted(request, "staff_need_detail", exc.object_id)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("困りごとを登録しました。"))
            return redirect("staff_need_detail", pk=need.pk)
    return render(request, "portal/staff/need_form.html", {"form": form, "intake": intake})


@staff_required
def staff_need_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    need = needs_selectors.need_for_staff(request.user, pk)
    return render(
        request,
        "portal/staff/need_detail.html",
        {
            "need": need,
            "programs": need.programs.order_by("-created_at"),
            "reject_form": ReasonForm(),
        },
    )


@staff_required
@require_POST
def staff_need_reject(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    need = needs_selectors.need_for_staff(request.user, pk)
    form = ReasonForm(request.POST)
    try:
        if not form.is_valid():
            raise InvalidTransition(_("見送りの理由を入力してください。"))
        need_services.need_reject(need=need, actor=request.user, reason=form.cleaned_data["reason"])
    except InvalidTransition as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("困りごとを見送りにしました。ヌシに理由をお知らせしました。"))
    return redirect("staff_need_detail", pk=need.pk)


def _initial_from_need(need: Need) -> dict:
    return {
        "title": need.title,
        "story": need.description,
        "about_nushi": need.nushi.description,
        "okaeshi": need.okaeshi,
        "district": need.district_id,
        "meeting_place": need.meeting_place,
        # The need's address goes to the program's exact address, which is private as the need's is
        # (shown only where can_see_nushi_contact allows); never to the public place or map point.
        "meeting_postal_code": need.postal_code,
        "meeting_address": need.address,
    }


@staff_required
@require_http_methods(["GET", "POST"])
def staff_program_create(request: AuthenticatedHttpRequest, need_pk: int) -> HttpResponse:
    need = needs_selectors.need_for_staff(request.user, need_pk)
    form = ProgramForm(
        request.POST or None,
        request.FILES or None,
        initial=_initial_from_need(need),
        municipality_id=need.municipality_id,
    )

    def land(pk: int) -> HttpResponse:
        return redirect("staff_program_detail", pk=pk)

    if (done := earlier_sending(request, form, land)) is not None:
        return done
    if request.method == "POST" and form.is_valid():
        try:
            program = program_services.program_create_from_need(
                need=need,
                actor=request.user,
                data=form.cleaned_data,
                form_token=form_token_of(form),
            )
        except AlreadySubmitted as exc:
            if (landed := land_after_refusal(request, form, exc, land)) is not None:
                return landed
        except InvalidTransition as exc:
            messages.error(request, exc.message)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(
                request, _("プログラムの下書きを作りました。開催日を追加してください。")
            )
            return redirect("staff_program_detail", pk=program.pk)
    return _program_form_page(request, form, need=need)


@staff_required
def staff_program_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    program = programs_selectors.program_for_staff(request.user, pk)
    history = programs_selectors.program_history(program)
    return render(
        request,
        "portal/staff/program_detail.html",
        {
            "program": program,
            "history": history,
            "photo_form": PhotoForm(),
            "reports": program.reports.order_by("-created_at"),
        },
    )


@staff_required
@require_http_methods(["GET", "POST"])
def staff_program_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    program = programs_selectors.program_for_staff(request.user, pk)
    form = ProgramForm(
        request.POST or None,
        request.FILES or None,
        instance=program,
        municipality_id=program.municipality_id,
    )
    if request.method == "POST" and form.is_valid():
        try:
            program_services.program_update(
                program=program, actor=request.user, data=form.cleaned_data
            )
        except InvalidTransition as exc:
            messages.error(request, exc.message)
            return redirect("staff_program_detail", pk=program.pk)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("保存しました。"))
            return redirect("staff_program_detail", pk=program.pk)
    return _program_form_page(request, form, program=program)


def _program_form_page(
    request: AuthenticatedHttpRequest,
    form: ProgramForm,
    *,
    need: Need | None = None,
    program: Program | None = None,
) -> HttpResponse:
    """The program form, with the map on which staff place the meeting point (portal/map.js), for a
    `program` or for a new one from a `need`."""
    municipality = program.municipality if program else need.municipality if need else None
    return render(
        request,
        "portal/staff/program_form.html",
        {
            "form": form,
            "need": need,
            "program": program,
            "map_centre": maps.picker_centre(program, municipality),
            "map_tiles": settings.MAP_TILE_URL,
            "map_attribution": settings.MAP_ATTRIBUTION,
        },
    )


# action -> (service, the confirmation form or None (the action runs at once), the message when done).
# An action that tells people or cannot be undone runs only from its confirmation page
# (_program_confirm_page). The messages are lazy: written out in the language of the request.
ACTIONS: dict[str, tuple[Callable[..., object], type[ConfirmForm] | None, "StrOrPromise"]] = {
    "send": (
        program_services.program_send_to_nushi,
        None,
        gettext_lazy("ヌシに確認を依頼しました。"),
    ),
    "publish": (program_services.program_publish, None, gettext_lazy("公開しました。")),
    "close": (program_services.program_close, ConfirmForm, gettext_lazy("募集を終了しました。")),
    "reject": (
        program_services.program_reject,
        ReasonConfirmForm,
        gettext_lazy("見送りにしました。"),
    ),
    "cancel": (
        program_services.program_cancel,
        ReasonConfirmForm,
        gettext_lazy("中止にしました。"),
    ),
}


@staff_required
@require_http_methods(["GET", "POST"])
def staff_program_action(request: AuthenticatedHttpRequest, pk: int, action: str) -> HttpResponse:
    """Run a program's action: at once (send, publish; by POST), or after its confirmation page (GET)
    with the confirmation form valid (close, reject, cancel)."""
    program = programs_selectors.program_for_staff(request.user, pk)
    if action not in ACTIONS:
        return redirect("staff_program_detail", pk=program.pk)
    service, form_class, done = ACTIONS[action]
    form = form_class(posted(request)) if form_class else None
    if request.method == "POST" and (form is None or form.is_valid()):
        kwargs = {"reason": form.cleaned_data["reason"]} if form and "reason" in form.fields else {}
        try:
            service(program=program, actor=request.user, **kwargs)
        except InvalidTransition as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, done)
        return redirect("staff_program_detail", pk=program.pk)
    if form is None:
        return HttpResponseNotAllowed(["POST"])
    return _program_confirm_page(request, program, action, form)


def _program_confirm_page(
    request: AuthenticatedHttpRequest, program: Program, action: str, form: ConfirmForm
) -> HttpResponse:
    back_url = reverse("staff_program_detail", args=[program.pk])
    reason = form.data.get("reason", "").strip()
    if action == "close":
        return confirm_page(
            request,
            heading=_("募集を終了する"),
            program=program,
            facts=[
                _(
                    "新しい応募を受け付けなくなります。公開ページと、参加確定の方の予定はそのままです。"
                ),
                _("この操作でお知らせは送られません。"),
                _("募集の終了は元に戻せません。"),
            ],
            form=form,
            submit_label=_("募集を終了する"),
            back_url=back_url,
        )
    if action == "reject":
        form.fields["reason"].label = _("見送りの理由（ヌシに届きます）")
        return confirm_page(
            request,
            heading=_("このプログラムを見送る"),
            program=program,
            facts=[_("ヌシに、下のお知らせで理由が届きます。"), _("見送りは元に戻せません。")],
            preview=previews.program_reject_preview(
                program, reason=reason or _("（ここに入力した見送りの理由が入ります）")
            ),
            form=form,
            submit_label=_("見送りにしてヌシに連絡する"),
            back_url=back_url,
        )
    form.fields["reason"].label = _("中止の理由（応募している方全員に届きます）")
    preview, sessions = previews.program_cancel_preview(
        program, reason=reason or _("（ここに入力した中止の理由が入ります）")
    )
    return confirm_page(
        request,
        heading=_("このプログラムを中止する"),
        program=program,
        sessions=sessions,
        facts=[
            _(
                "まだ始まっていない開催日がすべて中止になり、応募している方全員に下のお知らせが届きます。"
            ),
            _("ヌシにはお知らせが届きません。必要なら直接お伝えください。"),
            _("中止は元に戻せません。"),
        ],
        preview=preview,
        form=form,
        submit_label=_("中止して全員に連絡する"),
        back_url=back_url,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def staff_session_create(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    program = programs_selectors.program_for_staff(request.user, pk)
    form = SessionForm(request.POST or None)

    def land(_pk: int) -> HttpResponse:
        return redirect("staff_program_detail", pk=program.pk)

    if (done := earlier_sending(request, form, land)) is not None:
        return done
    if request.method == "POST" and form.is_valid():
        try:
            session_services.session_create(
                program=program,
                actor=request.user,
                data=form.cleaned_data,
                form_token=form_token_of(form),
            )
        except AlreadySubmitted as exc:
            if (landed := land_after_refusal(request, form, exc, land)) is not None:
                return landed
        except InvalidTransition as exc:
            messages.error(request, exc.message)
            return redirect("staff_program_detail", pk=program.pk)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("開催日を追加しました。"))
            return redirect("staff_program_detail", pk=program.pk)
    return render(request, "portal/staff/session_form.html", {"form": form, "program": program})


@staff_required
@require_http_methods(["GET", "POST"])
def staff_session_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    session = sessions_selectors.session_for_staff(request.user, pk)
    form = SessionForm(request.POST or None, instance=session, places_taken=session.places_taken)
    if request.method == "POST" and form.is_valid():
        try:
            session_services.session_update(
                session=session, actor=request.user, data=form.cleaned_data
            )
        except InvalidTransition as exc:
            messages.error(request, exc.message)
            return redirect("staff_program_detail", pk=session.program_id)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("開催日を変更しました。"))
            return redirect("staff_program_detail", pk=session.program_id)
    return render(
        request,
        "portal/staff/session_form.html",
        {"form": form, "program": session.program, "session": session},
    )


@staff_required
@require_POST
def staff_photo_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    program = programs_selectors.program_for_staff(request.user, pk)
    form = PhotoForm(request.POST, request.FILES)

    def land(_pk: int) -> HttpResponse:
        return redirect("staff_program_detail", pk=program.pk)

    if (done := earlier_sending(request, form, land)) is not None:
        return done
    if form.is_valid():
        try:
            program_services.program_photo_add(
                program=program,
                actor=request.user,
                image=form.cleaned_data["image"],
                caption=form.cleaned_data["caption"],
                form_token=form_token_of(form),
            )
        except AlreadySubmitted as exc:  # another's token: said as the other refusals are
            if exc.object_id is not None:
                return land_after_refusal(request, form, exc, land) or land(program.pk)
            messages.error(request, exc.message)
        except InvalidTransition as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("写真を追加しました。"))
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
    return redirect("staff_program_detail", pk=program.pk)


@staff_required
@require_POST
def staff_photo_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    photo = get_object_or_404(
        staff_scope(request.user, ProgramPhoto.objects.select_related("program")), pk=pk
    )
    program_services.program_photo_delete(photo=photo, actor=request.user)
    messages.success(request, _("写真を削除しました。"))
    return redirect("staff_program_detail", pk=photo.program_id)


@staff_required
@require_http_methods(["GET", "POST"])
def staff_report_create(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    program = programs_selectors.program_for_staff(request.user, pk)
    form = ReportForm(request.POST or None, request.FILES or None, program=program)

    def land(pk: int) -> HttpResponse:
        return redirect("staff_report_detail", pk=pk)

    if (done := earlier_sending(request, form, land)) is not None:
        return done
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        caption = data.get("photo_caption") or data["title"]
        try:
            report = report_services.activity_report_create(
                program=program,
                actor=request.user,
                title=data["title"],
                body=data["body"],
                session=data.get("session"),
                photos=[(image, caption) for image in data["photos"]],
                form_token=form_token_of(form),
            )
        except AlreadySubmitted as exc:
            if (landed := land_after_refusal(request, form, exc, land)) is not None:
                return landed
        except InvalidTransition as exc:
            messages.error(request, exc.message)
            return redirect("staff_program_detail", pk=program.pk)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("活動レポートの下書きを保存しました。"))
            return redirect("staff_report_detail", pk=report.pk)
    return render(request, "portal/staff/report_form.html", {"form": form, "program": program})


@staff_required
def staff_report_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    report = reports_selectors.report_for_staff(request.user, pk)
    return render(request, "portal/staff/report_detail.html", {"report": report})


@staff_required
@require_POST
def staff_report_publish(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    report = reports_selectors.report_for_staff(request.user, pk)
    try:
        if request.POST.get("unpublish"):
            report_services.activity_report_unpublish(report=report, actor=request.user)
        else:
            report_services.activity_report_publish(report=report, actor=request.user)
    except InvalidTransition as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("活動レポートの公開状態を変更しました。"))
    return redirect("staff_report_detail", pk=report.pk)


OUTBOX_PAGE_SIZE = 50


@staff_required
def staff_outbox(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The delivery state of the messages about the staff member's municipalities: waiting, sent (and
    on which channel), failed with the error (and a button to send it again), skipped; filtered by
    state, a page at a time. Queries: the staff member's municipalities (1), the count (1), one page
    of rows with their recipients (1)."""
    state = request.GET.get("state", "")
    if state not in OutboxMessage.State.values:
        state = ""
    rows = notification_selectors.outbox_rows(outbox_scope(request.user), state)
    page = Paginator(rows, OUTBOX_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/staff/outbox.html",
        {"page": page, "state": state, "states": OutboxMessage.State.choices},
    )


@staff_required
def staff_outbox_failures(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The former page of failed sends: now the delivery page's "failed" filter."""
    return redirect(reverse("staff_outbox") + "?state=" + OutboxMessage.State.FAILED)


@staff_required
@require_POST
def staff_outbox_retry(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    message = get_object_or_404(delivery.failed_messages(outbox_scope(request.user)), pk=pk)
    delivery.message_retry(message=message)
    messages.success(request, _("通知を送信待ちに戻しました。数分以内に送られます。"))
    return redirect(reverse("staff_outbox") + "?state=" + OutboxMessage.State.FAILED)
