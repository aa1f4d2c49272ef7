"""Every outgoing email is sent as readable text. Python's email package picks base64 for a Japanese
text part whose lines pass 78 bytes (26 characters), so a mail client is fine but the console, the
raw message in a mail catcher, or a メール無害化 gateway shows a block of base64 in which no link can be
read. Text parts go as 8-bit (every SMTP server in use speaks 8BITMIME); a part with a line too long
for SMTP (998 bytes) as quoted-printable, which keeps ASCII, links included, as it is."""

import email.message
import email.policy
from typing import Any

from django.core.mail import EmailMultiAlternatives

SMTP_LINE_LIMIT = 998


def readable(msg: email.message.EmailMessage) -> email.message.EmailMessage:
    """`msg` with every base64 text part (attachments aside) re-encoded as 8-bit or QP."""
    for part in msg.walk():
        if (
            part.get_content_maintype() != "text"
            or part.is_attachment()
            or part.get("Content-Transfer-Encoding", "").lower() != "base64"
        ):
            continue
        text = part.get_content()
        longest = max((len(line.encode()) for line in text.splitlines()), default=0)
        part.set_content(
            text,
            subtype=part.get_content_subtype(),
            charset=part.get_content_charset() or "utf-8",
            cte="8bit" if longest <= SMTP_LINE_LIMIT else "quoted-printable",
        )
    return msg


class ReadableEmailMessage(EmailMultiAlternatives):
    """The email class of every message the portal sends (the outbox's, allauth's)."""

    def message(self, **kwargs: Any) -> email.message.EmailMessage:
        return readable(super().message(**kwargs))

    @classmethod
    def of(cls, other: EmailMultiAlternatives) -> "ReadableEmailMessage":
        """The same message as `other` (built by a library), sent readably."""
        return cls(
            subject=other.subject,
            body=other.body,
            from_email=other.from_email,
            to=other.to,
            cc=other.cc,
            bcc=other.bcc,
            reply_to=other.reply_to,
            headers=other.extra_headers,
            alternatives=list(getattr(other, "alternatives", [])),
            attachments=list(other.attachments),
        )
