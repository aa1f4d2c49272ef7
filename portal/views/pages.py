"""The public service's pages: 利用規約, プライバシーポリシー, よくある質問 and お問い合わせ, each in a
municipality's own text or the shipped default (accounts.pages); and staff's editing of those texts."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_ratelimit.decorators import ratelimit

from accounts import pages
from accounts.models import Municipality, PageText
from accounts.permissions import (
    AuthenticatedHttpRequest,
    is_staff_of,
    staff_municipality_ids,
    staff_required,
)
from accounts.services import page_text_save
from portal.forms.pages import ContactForm, ContactTopic, PageTextForm
from portal.services.contact import contact_submit
from portal.services.errors import AlreadySubmitted
from portal.views.form_tokens import earlier_sending, form_token_of, land_after_refusal

# A person writes to the municipality a few times an hour at most; a script is stopped here.
CONTACT_RATE = "5/h"


def _municipality(slug: str | None) -> Municipality | None:
    """The municipality a page is about: the one named in the URL, else the deployment's only one;
    None when the deployment has several and the URL names none (the page then speaks for all)."""
    if slug is not None:
        return get_object_or_404(Municipality, slug=slug)
    only = list(Municipality.objects.all()[:2])
    return only[0] if len(only) == 1 else None


def page(request: HttpRequest, kind: str, slug: str | None = None) -> HttpResponse:
    municipality = _municipality(slug)
    others = Municipality.objects.order_by("prefecture", "name") if municipality is None else None
    return render(
        request,
        "pages/page.html",
        {"page": pages.page_for(kind, municipality), "others": others},
    )


@ratelimit(key="ip", rate=CONTACT_RATE, method="POST", block=False)
@require_http_methods(["GET", "POST"])
def contact(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    municipality = _municipality(slug)
    initial = {}
    if request.user.is_authenticated:
        initial = {"name": request.user.name, "email": request.user.email}
    form = ContactForm(request.POST or None, municipality=municipality, initial=initial)

    def land(municipality_pk: int) -> HttpResponse:
        sent_to = get_object_or_404(Municipality, pk=municipality_pk)
        return redirect("contact_sent", slug=sent_to.slug)

    if (done := earlier_sending(request, form, land)) is not None:
        return done
    status = 200
    if request.method == "POST":
        if getattr(request, "limited", False):
            messages.error(
                request,
                _(
                    "短い時間にお問い合わせが続いたため、受け付けられませんでした。しばらく待ってから、もう一度送ってください（入力内容は残っています）。"
                ),
            )
            status = 429
        elif form.is_valid():
            chosen = form.chosen_municipality()
            try:
                contact_submit(
                    municipality=chosen,
                    name=form.cleaned_data["name"],
                    email=form.cleaned_data["email"],
                    topic=ContactTopic(form.cleaned_data["topic"]).label,
                    message=form.cleaned_data["message"],
                    actor=request.user if request.user.is_authenticated else None,
                    form_token=form_token_of(form),
                )
            except AlreadySubmitted as exc:
                if (landed := land_after_refusal(request, form, exc, land)) is not None:
                    return landed
                status = 400
            else:
                return redirect("contact_sent", slug=chosen.slug)
        else:
            status = 400
    return render(
        request,
        "pages/contact.html",
        {"page": pages.page_for(PageText.Kind.CONTACT, municipality), "form": form},
        status=status,
    )


def contact_sent(request: HttpRequest, slug: str) -> HttpResponse:
    municipality = get_object_or_404(Municipality, slug=slug)
    return render(request, "pages/contact_sent.html", {"municipality": municipality})


# --- staff ---------------------------------------------------------------------------------------


def _municipality_for_staff(request: AuthenticatedHttpRequest, pk: int) -> Municipality:
    municipality = get_object_or_404(Municipality, pk=pk)
    if not is_staff_of(request.user, municipality.pk):
        raise Http404
    return municipality


@staff_required
def staff_pages(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Each of the staff member's municipalities with its four pages: its own text or the default."""
    municipalities = Municipality.objects.filter(
        pk__in=staff_municipality_ids(request.user)
    ).order_by("prefecture", "name")
    edited = {
        (text.municipality_id, text.kind): text
        for text in PageText.objects.filter(municipality__in=municipalities).select_related(
            "updated_by"
        )
    }
    rows = [
        {
            "municipality": municipality,
            "pages": [
                {"kind": kind, "label": label, "text": edited.get((municipality.pk, kind))}
                for kind, label in PageText.Kind.choices
            ],
        }
        for municipality in municipalities
    ]
    return render(request, "pages/staff_pages.html", {"rows": rows})


@staff_required
@require_http_methods(["GET", "POST"])
def staff_page_edit(request: AuthenticatedHttpRequest, pk: int, kind: str) -> HttpResponse:
    municipality = _municipality_for_staff(request, pk)
    if kind not in PageText.Kind.values:
        raise Http404
    current = pages.page_for(kind, municipality)
    instance = current.text or PageText(
        municipality=municipality, kind=kind, title=current.title, body=current.body
    )
    form = PageTextForm(request.POST or None, instance=instance, kind=kind)
    if request.method == "POST" and form.is_valid():
        page_text_save(
            municipality=municipality,
            kind=kind,
            title=form.cleaned_data["title"],
            body=form.cleaned_data["body"],
            material_change=form.cleaned_data.get("material_change", False),
            actor=request.user,
        )
        messages.success(request, _("ページの文章を保存しました。"))
        return redirect("staff_pages")
    history = (
        instance.history.select_related("history_user")[:10] if current.text is not None else []
    )
    return render(
        request,
        "pages/staff_page_edit.html",
        {
            "municipality": municipality,
            "kind_label": PageText.Kind(kind).label,
            "page": current,
            "form": form,
            "history": history,
        },
        status=400 if request.method == "POST" else 200,
    )
