"""A journey's steps, each looked at as a newcomer would on a phone: the page scrolled through (lazy
pictures load), checked for sideways scrolling and for buttons too small to tap, and saved as
test-artifacts/<journey>-<nn>-<step>.png, in the order walked."""

import mimetypes

from django.conf import settings

from tests.conftest import ARTIFACTS

# What sticks out sideways (a map's tiles, clipped by their frame, do not make the page scroll).
WIDER_THAN_THE_SCREEN = """() => document.documentElement.scrollWidth <= document.documentElement.clientWidth
    ? [] : [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
    .map(e => e.tagName + '.' + e.className + ' ' + (e.textContent || '').trim().slice(0, 30))"""

# Buttons, menus and form controls a thumb must hit on a phone: at least 44 x 44 CSS px (WCAG 2.5.5's
# size; Apple's and the Digital Agency's guidance). Menu links count; links inside sentences do not.
TOO_SMALL_TO_TAP = """() => window.innerWidth > 640 ? [] : [...document.querySelectorAll(
    'button, .btn, input[type=submit], select, summary, nav a')]
    .filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0
        && getComputedStyle(e).visibility !== 'hidden' && (r.height < 44 || r.width < 44); })
    .map(e => { const r = e.getBoundingClientRect();
        return `${e.tagName} ${Math.round(r.width)}x${Math.round(r.height)} ${(e.innerText || e.name || '').trim().slice(0, 20)}`; })"""

# A box squeezed by the words beside it when they wrap (the boxes are 24 px, inside 44 px labels).
SQUEEZED_BOXES = """() => [...document.querySelectorAll('input[type=checkbox], input[type=radio]')]
    .filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && (r.width < 23 || r.height < 23); })
    .map(e => `${e.name} ${Math.round(e.getBoundingClientRect().width)}px`)"""


def serve_media(context) -> None:
    """The live server serves no uploads (DEBUG is off in tests): answer /media/ from MEDIA_ROOT; map
    tiles (地理院, off this network) answer empty."""

    def fulfil(route):
        name = route.request.url.split("/media/", 1)[1].split("?", 1)[0]
        path = settings.MEDIA_ROOT / name
        if not path.is_file():
            route.fulfill(status=404)
            return
        route.fulfill(
            status=200, body=path.read_bytes(), content_type=mimetypes.guess_type(path.name)[0]
        )

    context.route("**/media/**", fulfil)
    context.route("**/cyberjapandata.gsi.go.jp/**", lambda route: route.fulfill(status=204))


class Walk:
    """walk = Walk(page, "helper"); walk.step("wallet") -> test-artifacts/helper-01-wallet.png."""

    def __init__(self, page, journey: str):
        self.page = page
        self.journey = journey
        self.n = 0

    def step(self, name: str) -> None:
        page = self.page
        self.n += 1
        label = f"{self.journey}-{self.n:02d}-{name}"
        height = page.evaluate("document.body.scrollHeight")
        for _y in range(0, height, 600):
            page.mouse.wheel(0, 600)
        page.wait_for_load_state("networkidle")
        page.evaluate("window.scrollTo(0, 0)")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{label}.png"), full_page=True)
        assert page.evaluate(WIDER_THAN_THE_SCREEN) == [], f"{label}: scrolls sideways"
        assert page.evaluate(TOO_SMALL_TO_TAP) == [], f"{label}: too small to tap"
        assert page.evaluate(SQUEEZED_BOXES) == [], f"{label}: a squeezed checkbox"
