"""The public service's pages (利用規約, プライバシーポリシー, お問い合わせ, よくある質問): the text a page
shows, and which version of the terms and of the privacy policy a signed-in person must have accepted.

A municipality's staff may replace a page's text (PageText); without one the shipped default is shown,
templates/pages/defaults/<language>/<kind>.txt, filled in with the municipality's name and contact
point. Texts are plain: blank lines separate paragraphs, a line starting with ■ is a heading, and
everything is escaped when shown.

Versions are deployment-wide, since one account serves every municipality of the deployment: the
shipped texts are version SHIPPED_VERSION, and a municipality's edit saved as a material change raises
its document's version above every version in use (accounts.services.page_text_save). A person must have
accepted the highest version of each document (the consent page asks, accounts.middleware).
"""

from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Max
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import Consent, Municipality, PageText, User

SHIPPED_VERSION = 1
VERSIONS_CACHE_KEY = "accounts:consent-versions"
VERSIONS_CACHE_SECONDS = 3600
HEADING_MARK = "■"


@dataclass(frozen=True)
class Page:
    kind: str
    title: str
    body: str
    municipality: Municipality | None
    # None for the shipped text (nobody edited it for this municipality).
    text: PageText | None

    @property
    def blocks(self) -> list[tuple[str, str]]:
        return paragraphs(self.body)


def default_body(kind: str, municipality: Municipality | None) -> str:
    """The shipped text of a page, in the active language (English or Japanese), for a municipality or,
    without one, for the deployment as a whole."""
    language = "en" if translation.get_language() == "en" else "ja"
    if municipality is None:
        operator = _("このサイトを運営する各自治体")
        contact = _("各自治体の事務局（お問い合わせページから連絡できます）")
    else:
        operator = str(municipality)
        contact = ", ".join(
            str(value)
            for value in (operator, municipality.contact_email, municipality.contact_phone)
            if value
        )
    context = {
        "operator": operator,
        "contact": contact,
        "helper_label": municipality.helper_label if municipality else _("お手伝いさん"),
        "points_name": (municipality.points_name if municipality else "") or _("地域通貨ポイント"),
    }
    return render_to_string(f"pages/defaults/{language}/{kind}.txt", context).strip()


def page_for(kind: str, municipality: Municipality | None) -> Page:
    text = None
    if municipality is not None:
        text = PageText.objects.filter(municipality=municipality, kind=kind).first()
    if text is not None:
        return Page(kind, text.title, text.body, municipality, text)
    return Page(
        kind, str(PageText.Kind(kind).label), default_body(kind, municipality), municipality, None
    )


def paragraphs(text: str) -> list[tuple[str, str]]:
    """Plain text as blocks: ("h", heading) for a one-line block starting with ■, ("p", text) for the
    rest (its line breaks kept). Templates escape both."""
    blocks = []
    normalised = text.replace("\r\n", "\n").replace("\r", "\n")
    for block in normalised.split("\n\n"):
        block = block.strip("\n")
        if not block.strip():
            continue
        if block.startswith(HEADING_MARK) and "\n" not in block:
            blocks.append(("h", block[len(HEADING_MARK) :].strip()))
        else:
            blocks.append(("p", block))
    return blocks


def required_versions() -> dict[str, int]:
    """The version of each consent document a person must have accepted. Cached, since every signed-in
    request asks; page_text_save clears the cache after its commit."""
    versions = cache.get(VERSIONS_CACHE_KEY)
    if versions is None:
        versions = versions_in_force()
        cache.set(VERSIONS_CACHE_KEY, versions, VERSIONS_CACHE_SECONDS)
    return versions


def versions_in_force() -> dict[str, int]:
    """required_versions read from the database: the highest version of each document in use."""
    edited = dict(
        PageText.objects.filter(kind__in=Consent.Document.values)
        .values("kind")
        .annotate(highest=Max("version"))
        .values_list("kind", "highest")
    )
    return {
        document: max(SHIPPED_VERSION, edited.get(document) or 0)
        for document in Consent.Document.values
    }


def missing_consents(user: User, required: dict[str, int]) -> list[str]:
    """The documents whose required version `user` has not accepted (in Consent.Document order)."""
    accepted = dict(
        Consent.objects.filter(user=user)
        .values("document")
        .annotate(highest=Max("version"))
        .values_list("document", "highest")
    )
    return [doc for doc, version in required.items() if (accepted.get(doc) or 0) < version]
