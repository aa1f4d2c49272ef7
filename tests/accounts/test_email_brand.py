"""allauth's emails carry the brand of the person's municipality (accounts.branding): staff of one
municipality, a nushi of one, a helper who signed up from one of its pages read 「[ヒダスケ！] ...」 from
「ヒダスケ！」, signed by its office; anyone else reads お互いさま. Read from the sent mail: the subject, the
sender's name and the body, as raw readable bytes."""

from email.header import decode_header, make_header
from email.utils import parseaddr

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import SignupOrigin
from tests.accounts.factories import StaffMembershipFactory
from tests.accounts.test_emails import raw
from tests.accounts.test_signup import GOOD, signup
from tests.portal.factories import ProgramFactory, SessionFactory

pytestmark = pytest.mark.django_db
SIGNATURE = "ヒダスケ！（岐阜県飛騨市の事務局）"


@pytest.fixture(autouse=True)
def hida(municipality):
    municipality.site_name = "ヒダスケ！"
    municipality.save()
    return municipality


def sender_name(sent) -> str:
    header = sent.message()["From"]
    return parseaddr(str(make_header(decode_header(header))))[0]


def assert_branded(sent, brand: str = "ヒダスケ！") -> str:
    text = raw(sent)
    assert sent.subject.startswith(f"[{brand}] "), sent.subject
    assert sender_name(sent) == brand
    return text


def test_a_signup_from_a_town_page_is_branded_by_the_town(client, hida):
    signup(client, next=reverse("municipality_page", args=[hida.slug]))
    (sent,) = mail.outbox
    text = assert_branded(sent)
    assert "ヒダスケ！への登録を受け付けました" in text and SIGNATURE in text
    assert "お互いさま" not in sent.subject
    assert SignupOrigin.objects.get(user__email=GOOD["email"]).municipality == hida


def test_a_signup_on_the_way_to_applying_is_branded_by_the_programs_town(
    client, hida, organization
):
    session = SessionFactory(program=ProgramFactory(municipality=hida, nushi=organization))
    signup(client, next=reverse("application_apply", args=[session.pk]))
    assert_branded(mail.outbox[0])
    # and every later account email of that helper too
    mail.outbox.clear()
    client.logout()
    client.post(reverse("account_reset_password"), {"email": GOOD["email"]})
    (reset,) = mail.outbox
    assert SIGNATURE in assert_branded(reset)


def test_a_signup_from_the_portals_own_pages_is_otagaisama(client):
    signup(client)
    (sent,) = mail.outbox
    text = raw(sent)
    assert sent.subject.startswith("[お互いさま] ") and sender_name(sent) == "お互いさま"
    assert "お互いさまへの登録を受け付けました" in text and SIGNATURE not in text
    assert not SignupOrigin.objects.filter(user__email=GOOD["email"]).exists()


@pytest.mark.parametrize("who", ["staff", "nushi"])
def test_staff_and_a_nushi_read_their_municipalitys_brand(client, who, request):
    person = request.getfixturevalue(who)
    client.post(reverse("account_reset_password"), {"email": person.email})
    (sent,) = mail.outbox
    text = assert_branded(sent)
    assert SIGNATURE in text and "ヒダスケ！（岐阜県飛騨市の、" in text


def test_staff_of_two_towns_and_a_plain_helper_read_otagaisama(
    client, staff, other_municipality, helper
):
    StaffMembershipFactory(user=staff, municipality=other_municipality)
    for person in (staff, helper):
        mail.outbox.clear()
        client.post(reverse("account_reset_password"), {"email": person.email})
        (sent,) = mail.outbox
        assert sent.subject.startswith("[お互いさま] ") and sender_name(sent) == "お互いさま"
        assert "ヒダスケ" not in raw(sent)


def test_a_town_without_a_site_name_is_named_by_its_name(client, hida, nushi):
    hida.site_name = ""
    hida.save()
    client.post(reverse("account_reset_password"), {"email": nushi.email})
    (sent,) = mail.outbox
    assert_branded(sent, brand="岐阜県飛騨市")


def test_an_english_reader_reads_the_brand_in_english_words(client, staff):
    staff.language = "en"
    staff.save()
    client.post(reverse("account_reset_password"), {"email": staff.email})
    (sent,) = mail.outbox
    assert_branded(sent)
    assert "the 岐阜県飛騨市 office" in sent.body and "事務局" not in sent.body
