"""What each person wants to receive, and how: reading and changing their preferences, and the signed
one-click unsubscribe links.

- Channel: email (the default) or LINE. LINE is used only while the person has a linked LINE account
  and the site has a Messaging API token; otherwise the message goes by email whatever the preference.
- Opt-outs: a person may switch off a Topic (notifications.kinds.TOPIC_OF). Transactional kinds have no
  topic and always go out. notify() writes nothing for an opted-out topic, and delivery checks again at
  send time, so a message written before the person opted out is skipped, not sent.
- Unsubscribe links are signed (django.core.signing, with a salt of their own) for one person and one
  topic, and expire after UNSUBSCRIBE_MAX_AGE: the signature is the authority, no sign-in is needed.
"""

from collections.abc import Iterable
from datetime import timedelta

from django.core import signing
from django.db import transaction

from accounts.models import User
from notifications import line
from notifications.kinds import TOPIC_OF, Topic
from notifications.models import OutboxMessage, Preference, TopicOptOut

UNSUBSCRIBE_SALT = "notifications.unsubscribe"
# Long enough for a mail client's unsubscribe button on an old message; an expired link asks the person
# to sign in and use their page instead.
UNSUBSCRIBE_MAX_AGE = timedelta(days=180)


def preference_of(user: User) -> Preference:
    """The person's preference row, or the defaults (unsaved) when they never changed anything."""
    try:
        return user.notification_preference
    except Preference.DoesNotExist:
        return Preference(user=user)


def opted_out_topics(user_id: int) -> set[str]:
    return set(TopicOptOut.objects.filter(user_id=user_id).values_list("topic", flat=True))


def is_opted_out(user_id: int, kind: str) -> bool:
    """True when `kind` belongs to a topic the person switched off (never for a transactional kind)."""
    topic = TOPIC_OF.get(kind)
    return topic is not None and TopicOptOut.objects.filter(user_id=user_id, topic=topic).exists()


def preferences_update(*, actor: User, channel: str, opted_out: Iterable[str]) -> Preference:
    """Save the person's channel and the exact set of topics they switched off."""
    opted_out = set(opted_out)
    with transaction.atomic(durable=True):
        preference, _created = Preference.objects.update_or_create(
            user=actor, defaults={"channel": channel}
        )
        TopicOptOut.objects.filter(user=actor).exclude(topic__in=opted_out).delete()
        TopicOptOut.objects.bulk_create(
            [TopicOptOut(user=actor, topic=topic) for topic in sorted(opted_out)],
            ignore_conflicts=True,  # already off: the unique constraint keeps one row
        )
    return preference


def topic_unsubscribe(*, user_id: int, topic: str) -> None:
    """Switch one topic off for one person (the one-click link). Doing it twice changes nothing."""
    with transaction.atomic(durable=True):
        TopicOptOut.objects.bulk_create(
            [TopicOptOut(user_id=user_id, topic=topic)], ignore_conflicts=True
        )


def unsubscribe_token(user_id: int, topic: str) -> str:
    return signing.dumps([user_id, topic], salt=UNSUBSCRIBE_SALT)


def read_unsubscribe_token(token: str) -> tuple[User, str]:
    """The person and topic a link was signed for. Raises signing.SignatureExpired for an expired link
    and signing.BadSignature for anything not signed by us (or for a person or topic that is gone)."""
    value = signing.loads(token, salt=UNSUBSCRIBE_SALT, max_age=UNSUBSCRIBE_MAX_AGE)
    try:
        user_id, topic = value
        user = User.objects.get(pk=int(user_id))
    except (TypeError, ValueError, User.DoesNotExist) as exc:
        raise signing.BadSignature("unknown person") from exc
    if topic not in Topic.values:
        raise signing.BadSignature("unknown topic")
    return user, topic


def has_line(user_id: int) -> bool:
    """Whether LINE can be offered to the person: the site pushes on LINE and they linked a LINE
    account."""
    return line.is_configured() and line.line_user_id(user_id) is not None


def channel_choices(user_id: int) -> list[tuple[str, str]]:
    """The channels the person may choose: LINE only where has_line()."""
    choices = [(OutboxMessage.Channel.EMAIL.value, str(OutboxMessage.Channel.EMAIL.label))]
    if has_line(user_id):
        choices.append((OutboxMessage.Channel.LINE.value, str(OutboxMessage.Channel.LINE.label)))
    return choices
