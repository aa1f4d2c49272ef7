"""Plain-text hygiene shared by every app: what people type may hold line breaks where one line is
meant, or control characters pasted from elsewhere. A one-line text can become an email header (a
need's title is in the subject of staff's notification), where a line break is refused at send time."""

import re

from django.utils.translation import gettext as _

# Everything Python's str.splitlines() breaks at, plus tab: inside one line these become one space.
_BREAKS = re.compile(r"[\t\n\x0b\x0c\r\x1c-\x1e\x85\u2028\u2029]+")
# C0 and C1 control characters and DEL, except tab, line feed and carriage return (multi-line text
# keeps those). NUL is among them: PostgreSQL cannot store it in a text column.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def single_line(text: str) -> str:
    """`text` on one line: each run of line breaks and tabs becomes one space, other control
    characters are dropped. Leading and trailing spaces are kept (forms strip them)."""
    return _CONTROLS.sub("", _BREAKS.sub(" ", text))


def multi_line(text: str) -> str:
    """Multi-line `text` with its line breaks as LF and no control characters other than tab.
    Browsers count a line break as one character against a textarea's maxlength but send it as
    CRLF: read as sent, 4,000 typed characters with line breaks would exceed a 4,000 maximum."""
    return _CONTROLS.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


# Honorifics a name may already carry: an organisation called 「みょうが農家 中田さん」 is not to become
# 「中田さん さん」.
_HONORIFICS = ("さん", "様", "さま", "殿", "ちゃん", "くん", "君")


def with_honorific(name: str) -> str:
    """`name` as the UI addresses a person: with さん, unless it already ends with an honorific (in
    English, the name alone)."""
    name = name.strip()
    if name.endswith(_HONORIFICS):
        return name
    return _("%(name)sさん") % {"name": name}
