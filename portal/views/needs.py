"""The nushi's side: post a need, see and correct it, withdraw it; look at a draft program through the
preview link and confirm it or ask for changes. Another nushi's needs and drafts are 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import postal
from accounts.permissions import AuthenticatedHttpRequest
from accounts.selectors import member_names
from portal.forms.common import ReasonForm, add_service_error, chosen_object
from portal.forms.needs import NeedForm, NushiChoiceForm
from portal.forms.programs import ConfirmForNushiForm
from portal.permissions import can_confirm_for_nushi, can_confirm_program
from portal.selectors.form_tokens import form_token_result
from portal.selectors.needs import need_for_nushi
from portal.selectors.programs import program_for_preview
from portal.services import needs as need_services
from portal.services import programs as program_services
from portal.services._state import InvalidTransition
from portal.services.errors import AlreadySubmitted, ServiceError
from portal.views.form_tokens import already_submitted
from portal.views.programs import program_page_context


@login_required
@require_http_methods(["GET", "POST"])
def need_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    who = NushiChoiceForm(request.POST or None, user=request.user, prefix="who")
    form = NeedForm(
        request.POST or None, request.FILES or None, municipality_id=who.municipality_id
    )
    token = chosen_object(who, "form_token")
    if (done := form_token_result(actor=request.user, token=token)) is not None:
        return already_submitted(request, "need_detail", done)
    if request.method == "POST" and who.is_valid() and form.is_valid():
        organization = who.cleaned_data.get("organization")
        try:
            if organization is not None:
                need = need_services.need_submit(
                    actor=request.user, nushi=organization, data=form.cleaned_data, form_token=token
                )
            else:
                need = need_services.need_submit_as_individual(
                    actor=request.user,
                    municipality=who.cleaned_data["municipality"],
                    name=who.cleaned_data["nushi_name"],
                    data=form.cleaned_data,
                    form_token=token,
                )
        except AlreadySubmitted as exc:
            if exc.object_id is None:
                add_service_error(form, ValidationError(exc.message))
            else:
                return already_submitted(request, "need_detail", exc.object_id)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(
                request,
                _("困りごとを受け付けました。事務局からご連絡します。ありがとうございました。"),
            )
            return redirect("need_detail", pk=need.pk)
    return render(request, "portal/needs/form.html", {"form": form, "who": who})


@require_GET
def postal_lookup(request: HttpRequest) -> HttpResponse:
    """htmx enhancement of the postal-code fields: shows the address for the code and fills the address
    field when it is still empty (an out-of-band swap). Without JavaScript the form does the same on
    submit (portal.forms.needs.address_from_postal)."""
    field = request.GET.get("field", "address")
    if field not in ("address", "meeting_address"):
        field = "address"
    code = request.GET.get("postal_code") or request.GET.get("meeting_postal_code") or ""
    try:
        found = postal.lookup(code)
    except ValidationError as exc:
        return render(request, "portal/needs/_postal.html", {"error": exc.message, "field": field})
    return render(
        request,
        "portal/needs/_postal.html",
        {
            "found": found,
            "address": found.address,
            "field": field,
            "fill": not request.GET.get(field),
        },
    )


@login_required
def need_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    need = need_for_nushi(request.user, pk)
    programs = need.programs.exclude(status="draft").order_by("-created_at")
    return render(request, "portal/needs/detail.html", {"need": need, "programs": programs})


@login_required
@require_http_methods(["GET", "POST"])
def need_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    need = need_for_nushi(request.user, pk)
    form = NeedForm(
        request.POST or None,
        request.FILES or None,
        instance=need,
        municipality_id=need.municipality_id,
    )
    if request.method == "POST" and form.is_valid():
        try:
            need_services.need_update(need=need, actor=request.user, data=form.cleaned_data)
        except InvalidTransition as exc:
            messages.error(request, exc.message)
        except ValidationError as exc:
            add_service_error(form, exc)
            return render(request, "portal/needs/form.html", {"form": form, "need": need})
        else:
            messages.success(request, _("困りごとを更新しました。"))
        return redirect("need_detail", pk=need.pk)
    return render(request, "portal/needs/form.html", {"form": form, "need": need})


@login_required
@require_POST
def need_withdraw(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    need = need_for_nushi(request.user, pk)
    try:
        need_services.need_withdraw(need=need, actor=request.user)
    except InvalidTransition as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("困りごとを取り下げました。"))
    return redirect("need_detail", pk=need.pk)


@login_required
def program_preview(request: AuthenticatedHttpRequest, pk: int, token: str) -> HttpResponse:
    program = program_for_preview(request.user, pk, token)
    return render(
        request,
        "portal/programs/detail.html",
        {
            # The nushi and staff always see the draft as it is now (no cache).
            **program_page_context(program, program, page_seconds=0),
            "preview": True,
            "online_program": program if program.is_online else None,
            "can_confirm": can_confirm_program(request.user, program)
            and program.status == program.Status.PENDING_NUSHI,
            "can_confirm_for_nushi": can_confirm_for_nushi(request.user, program)
            and program.status == program.Status.PENDING_NUSHI,
            "confirmers": member_names(program.nushi_id),
            "changes_form": ReasonForm(),
            "for_nushi_form": ConfirmForNushiForm(),
        },
    )


@login_required
@require_POST
def program_confirm_for_nushi(
    request: AuthenticatedHttpRequest, pk: int, token: str
) -> HttpResponse:
    """Staff record the confirmation the nushi gave them by phone, on paper or at a visit."""
    program = program_for_preview(request.user, pk, token)
    if not can_confirm_for_nushi(request.user, program):
        raise Http404
    form = ConfirmForNushiForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("ヌシから確認を受けた方法を選んでください。"))
        return redirect("program_preview", pk=pk, token=token)
    try:
        program_services.program_confirm_for_nushi(
            program=program, actor=request.user, channel=form.cleaned_data["channel"]
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("ヌシに代わって、確認を記録しました。公開できます。"))
    return redirect("staff_program_detail", pk=program.pk)


@login_required
@require_POST
def program_confirm(request: AuthenticatedHttpRequest, pk: int, token: str) -> HttpResponse:
    program = program_for_preview(request.user, pk, token)
    if not can_confirm_program(request.user, program):  # staff may look, only the nushi confirms
        return redirect("program_preview", pk=pk, token=token)
    try:
        program_services.program_confirm(program=program, actor=request.user)
    except InvalidTransition as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("確認ありがとうございました。事務局が公開の準備をします。"))
    return redirect("program_preview", pk=pk, token=token)


@login_required
@require_POST
def program_request_changes(request: AuthenticatedHttpRequest, pk: int, token: str) -> HttpResponse:
    program = program_for_preview(request.user, pk, token)
    if not can_confirm_program(request.user, program):
        return redirect("program_preview", pk=pk, token=token)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("どこを直してほしいか、ひとこと書いてください。"))
        return redirect("program_preview", pk=pk, token=token)
    try:
        program_services.program_request_changes(
            program=program, actor=request.user, note=form.cleaned_data["reason"]
        )
    except InvalidTransition as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("修正のお願いを事務局に送りました。"))
    return redirect("program_preview", pk=pk, token=token)
