import pytest
from allauth.socialaccount.models import SocialAccount

from notifications.models import OutboxMessage, Preference
from tests.notifications.fake_line import FakeLine

LINE_UID = "U4af4980629c5bf7c8a3a8b7e3f1d2c11"


@pytest.fixture
def fake_line(settings):
    """LINE's push endpoint on 127.0.0.1, and the settings pointing at it."""
    fake = FakeLine().start()
    settings.LINE_API_BASE_URL = fake.url
    settings.LINE_CHANNEL_ACCESS_TOKEN = fake.token
    settings.LINE_API_TIMEOUT = 0.5
    yield fake
    fake.stop()


def link_line(user, uid: str = LINE_UID) -> str:
    """The user signed in with LINE once (allauth's LINE provider stores the LINE user id as uid)."""
    SocialAccount.objects.create(user=user, provider="line", uid=uid)
    return uid


@pytest.fixture
def line_helper(helper):
    """`helper`, linked to LINE and asking for LINE."""
    link_line(helper)
    Preference.objects.create(user=helper, channel=OutboxMessage.Channel.LINE)
    return helper
