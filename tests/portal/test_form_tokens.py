"""Forms that create something carry a one-time token: the same form sent again (back and send, a
double tap, two at once) creates one thing and leads to it, with a word, never a second one."""

import re
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from portal.models import FormToken, Need
from portal.services.errors import AlreadySubmitted
from portal.services.needs import need_submit
from tests.portal.test_need_views import GOOD

pytestmark = pytest.mark.django_db


def token_in(page: str, prefix: str) -> str:
    match = re.search(rf'name="{prefix}-form_token" value="([0-9a-f-]+)"', page)
    assert match, "the form carries its one-time token"
    return match.group(1)


def test_a_replayed_need_form_creates_one_need_and_leads_to_it(client, nushi, organization):
    client.force_login(nushi)
    page = client.get(reverse("need_create")).content.decode()
    data = {**GOOD, "who-organization": organization.pk, "who-form_token": token_in(page, "who")}
    first = client.post(reverse("need_create"), data)
    need = Need.objects.get()
    assert first.status_code == 302 and first.url == reverse("need_detail", args=[need.pk])
    again = client.post(reverse("need_create"), data)
    assert again.status_code == 302 and again.url == first.url
    assert Need.objects.count() == 1
    assert "すでに受け付けています" in client.get(again.url).content.decode()
    # A fresh form is a fresh token: a second need is a second need.
    page = client.get(reverse("need_create")).content.decode()
    client.post(reverse("need_create"), {**data, "who-form_token": token_in(page, "who")})
    assert Need.objects.count() == 2


def test_a_replay_leads_to_the_need_even_when_the_form_would_no_longer_validate(
    client, helper, municipality
):
    """A resident's first need makes their individual nushi: the form sent again now expects a
    choice of organisation, and would be refused with a red error without the token."""
    client.force_login(helper)
    page = client.get(reverse("need_create")).content.decode()
    data = {
        **GOOD,
        "who-municipality": municipality.pk,
        "who-nushi_name": "高橋 ゆうき",
        "who-form_token": token_in(page, "who"),
    }
    first = client.post(reverse("need_create"), data)
    again = client.post(reverse("need_create"), data)
    assert again.status_code == 302 and again.url == first.url
    assert Need.objects.count() == 1


def test_a_replayed_staff_intake_creates_one_need(client, staff, organization):
    client.force_login(staff)
    page = client.get(reverse("staff_need_create")).content.decode()
    data = {
        **GOOD,
        "intake-organization": organization.pk,
        "intake-channel": "phone",
        "intake-form_token": token_in(page, "intake"),
    }
    first = client.post(reverse("staff_need_create"), data)
    again = client.post(reverse("staff_need_create"), data)
    assert again.status_code == 302 and again.url == first.url
    assert Need.objects.count() == 1


def test_a_form_with_errors_keeps_its_token(client, nushi, organization):
    client.force_login(nushi)
    token = str(uuid.uuid4())
    page = client.post(
        reverse("need_create"),
        {**GOOD, "title": "", "who-organization": organization.pk, "who-form_token": token},
    ).content.decode()
    assert token_in(page, "who") == token and not FormToken.objects.exists()


def test_the_service_refuses_a_claimed_token_and_names_the_need(nushi, organization):
    token = uuid.uuid4()
    data = {"title": "草取り", "description": "畑", "dates_flexible": True}
    need = need_submit(actor=nushi, nushi=organization, data=data, form_token=token)
    with pytest.raises(AlreadySubmitted) as refused:
        need_submit(actor=nushi, nushi=organization, data=data, form_token=token)
    assert refused.value.object_id == need.pk
    assert Need.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_sendings_at_once_create_one_need(nushi, organization):
    """The token is claimed in the create's transaction: the second sending waits on it until the
    first commits, then finds it claimed (the view's read before validating cannot see that)."""
    token = uuid.uuid4()
    data = {"title": "草取り", "description": "畑", "dates_flexible": True}

    def send() -> str:
        try:
            need_submit(actor=nushi, nushi=organization, data=data, form_token=token)
            return "created"
        except AlreadySubmitted:
            return "refused"
        finally:
            connection.close()

    with ThreadPoolExecutor(2) as pool:
        outcomes = sorted(pool.map(lambda _: send(), range(2)))
    assert outcomes == ["created", "refused"]
    assert Need.objects.count() == 1


def test_a_token_sent_by_someone_else_creates_nothing_and_leaks_nothing(
    nushi, other_nushi, organization, other_organization
):
    token = uuid.uuid4()
    data = {"title": "草取り", "description": "畑", "dates_flexible": True}
    need_submit(actor=nushi, nushi=organization, data=data, form_token=token)
    client = Client()
    client.force_login(other_nushi)
    response = client.post(
        reverse("need_create"),
        {**GOOD, "who-organization": other_organization.pk, "who-form_token": token},
    )
    assert response.status_code == 200 and Need.objects.count() == 1
