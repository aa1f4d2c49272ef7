"""Japanese first, English second: pages speak Japanese by default and English when asked (by the
browser's Accept-Language or the footer's language switch), and the English catalogue leaves no
string untranslated, so a new msgid without an English msgstr fails CI.

The English pages need the compiled catalogue (django.mo), which `make test` builds first."""

import re
import shutil
import subprocess
import sys
from html import unescape
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

PO_PATH = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"

# What the catalogue is refreshed with: manage.py makemessages -l en --no-location --ignore=<each>.
MAKEMESSAGES_IGNORES = [".venv", "node_modules", ".tools", "tests", "bench"]

JA = {
    "tagline": "地域のお手伝いマッチング",
    "footer": "お互いさま — 地域の困りごとと、手伝いたい人をつなぐ",
    "signup": "新規登録",
    "login": "ログイン",
}
EN = {
    "tagline": "Matching helpers with local needs",
    "footer": "Otagaisama — connecting local needs with people who want to help",
    "signup": "Sign Up",
    "login": "Log In",
}


def _html(response) -> str:
    """The page's text with entities resolved, so an apostrophe matches however it was escaped."""
    assert response.status_code == 200
    return unescape(response.content.decode())


# --- Pages ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_home_is_japanese_by_default(client):
    html = _html(client.get(reverse("home")))
    assert '<html lang="ja">' in html
    for text in JA.values():
        assert text in html
    assert EN["tagline"] not in html
    assert "地域の困りごとを、みんなの「お手伝い」に。" in html


@pytest.mark.django_db
def test_home_is_english_when_the_browser_asks_for_it(client):
    html = _html(client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en"))
    assert '<html lang="en">' in html
    for text in EN.values():
        assert text in html
    assert "Turning local needs into everyone's chance to help." in html
    assert "Sign up as a helper" in html
    for text in JA.values():
        assert text not in html


@pytest.mark.django_db
def test_signup_page_is_japanese_by_default(client):
    html = _html(client.get(reverse("account_signup")))
    assert '<html lang="ja">' in html
    assert JA["signup"] in html
    assert "表示名（ニックネーム可）" in html
    assert "（必須）" in html
    assert "Display name (a nickname is fine)" not in html


@pytest.mark.django_db
def test_language_switch_turns_the_signup_page_english(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("home")})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"

    html = _html(client.get(reverse("account_signup")))
    assert '<html lang="en">' in html
    # Our layout and our signup fields, from our catalogue; "Sign Up" is also allauth's own heading.
    assert EN["signup"] in html
    assert EN["tagline"] in html
    assert "Display name (a nickname is fine)" in html
    assert "e.g. 509-4201 (you can leave out the hyphen)" in html
    assert "(required)" in html
    for text in ("表示名（ニックネーム可）", "（必須）", JA["signup"], JA["tagline"]):
        assert text not in html

    # ... and back to Japanese with the same switch.
    client.post(reverse("set_language"), {"language": "ja", "next": reverse("home")})
    assert JA["signup"] in _html(client.get(reverse("account_signup")))


# --- The catalogue ----------------------------------------------------------------------------


def _unquote(quoted: str) -> str:
    """The text of one "..." piece of a .po line, with its C escapes resolved."""
    escapes = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
    return re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), m.group(0)), quoted[1:-1])


def parse_po(path: Path) -> list[dict]:
    """Entries of a .po file as {"flags": set, "msgid": str, "msgid_plural": str?, "msgstr": str or
    "msgstr[N]": str}. Obsolete entries (#~) and the header are left out. Standard library only."""
    entries, entry, key = [], None, None
    for raw in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        line = raw.strip()
        if not line:
            if entry and "msgid" in entry and entry["msgid"] != "":
                entries.append(entry)
            entry, key = None, None
            continue
        if entry is None:
            entry = {"flags": set()}
        if line.startswith("#,"):
            entry["flags"].update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue  # comments, references, previous msgids and obsolete (#~) entries
        elif line.startswith('"'):
            entry[key] += _unquote(line)
        else:
            key, _, quoted = line.partition(" ")
            entry[key] = _unquote(quoted)
    return entries


def _placeholders(text: str) -> list[str]:
    return sorted(re.findall(r"%\(\w+\)[sd]|%[sd]", text))


def test_english_catalogue_translates_every_msgid():
    entries = parse_po(PO_PATH)
    assert len(entries) > 100  # the parser read the catalogue, not an empty file

    untranslated, fuzzy, bad_placeholders = [], [], []
    for entry in entries:
        msgstrs = {k: v for k, v in entry.items() if k.startswith("msgstr")}
        if "msgid_plural" in entry:
            assert set(msgstrs) == {"msgstr[0]", "msgstr[1]"}, entry["msgid"]
        if not all(value.strip() for value in msgstrs.values()):
            untranslated.append(entry["msgid"])
        if "fuzzy" in entry["flags"]:
            fuzzy.append(entry["msgid"])  # gettext ignores fuzzy translations: they show Japanese
        for value in msgstrs.values():
            source = entry.get("msgid_plural", entry["msgid"])
            if value and _placeholders(value) != _placeholders(source):
                bad_placeholders.append(entry["msgid"])

    assert untranslated == [], "untranslated in locale/en/LC_MESSAGES/django.po"
    assert fuzzy == [], "fuzzy (so unused) in locale/en/LC_MESSAGES/django.po"
    assert bad_placeholders == [], "placeholders differ from the msgid"


def test_english_catalogue_has_every_msgid_of_the_source(tmp_path):
    """makemessages, run on a copy of the source, finds no msgid that the committed catalogue lacks:
    a string wrapped in gettext but never extracted would otherwise stay Japanese unnoticed."""
    assert shutil.which("xgettext"), "xgettext (GNU gettext) is missing; `make test` installs it"
    base = Path(settings.BASE_DIR)
    copy = tmp_path / "src"
    shutil.copytree(
        base,
        copy,
        ignore=shutil.ignore_patterns(
            *MAKEMESSAGES_IGNORES,
            ".git",
            ".hypothesis",
            "media",
            "staticfiles",
            "test-artifacts",
            "*.mo",
        ),
    )
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "-l",
            "en",
            "--no-location",
            "-v0",
            *(f"--ignore={name}" for name in MAKEMESSAGES_IGNORES),
        ],
        cwd=copy,
        check=True,
        capture_output=True,
        timeout=300,
    )
    committed = {e["msgid"] for e in parse_po(PO_PATH)}
    extracted = {e["msgid"] for e in parse_po(copy / PO_PATH.relative_to(base))}
    missing = sorted(extracted - committed)
    assert missing == [], "not in the catalogue: run makemessages -l en, then translate them"


def test_translation_functions_keep_names_makemessages_knows():
    """xgettext finds _(), gettext(), gettext_lazy(), ... by name: a function imported as another alias
    (say `gettext_lazy as _lazy`) hides its strings from the catalogue, and they stay Japanese."""
    base = Path(settings.BASE_DIR)
    aliased = []
    for app in ("accounts", "portal", "notifications", "matching", "points", "reports"):
        for path in (base / app).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            for name, alias in re.findall(
                r"from django\.utils\.translation import (\w+) as (\w+)", text
            ):
                if alias != "_":
                    aliased.append(f"{path.relative_to(base)}: {name} as {alias}")
    assert aliased == []


def test_a_word_with_two_meanings_has_two_translations():
    """受付 is both a need's first status (received) and the check-in desk of a session."""
    from django.utils import translation
    from django.utils.translation import gettext

    from portal.models import Need

    with translation.override("en"):
        assert str(Need.Status.SUBMITTED.label) == "Received"
        assert gettext("受付") == "Check-in"
