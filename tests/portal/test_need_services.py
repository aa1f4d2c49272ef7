"""Need transitions: submit (staff told), update while waiting, withdraw, reject with a reason."""

import pytest

from notifications.models import OutboxMessage
from portal.models import Need
from portal.services import needs as svc
from portal.services._state import InvalidTransition
from tests.accounts.factories import StaffMembershipFactory

pytestmark = pytest.mark.django_db
DATA = {
    "title": "雪かきをしてほしい",
    "description": "玄関から道路まで",
    "helpers_wanted": 2,
    "dates_flexible": True,
}


def test_submit_tells_every_staff_member_of_the_municipality_only(
    organization, nushi, staff, other_municipality_staff
):
    second = StaffMembershipFactory(municipality=organization.municipality).user
    need = svc.need_submit(actor=nushi, nushi=organization, data=DATA)
    assert (need.status, need.channel, need.municipality_id) == (
        Need.Status.SUBMITTED, Need.Channel.WEB, organization.municipality_id,
    )  # fmt: skip
    recipients = set(
        OutboxMessage.objects.filter(kind="need_submitted").values_list("recipient_id", flat=True)
    )
    assert recipients == {staff.pk, second.pk}


def test_staff_record_the_channel_of_a_phone_intake(organization, staff):
    need = svc.need_submit(actor=staff, nushi=organization, data=DATA, channel=Need.Channel.PHONE)
    assert (need.channel, need.created_by) == (Need.Channel.PHONE, staff)


def test_nushi_updates_only_while_submitted(organization, nushi, staff):
    need = svc.need_submit(actor=nushi, nushi=organization, data=DATA)
    svc.need_update(need=need, actor=nushi, data={"title": "雪かき（2月）"})
    assert Need.objects.get(pk=need.pk).title == "雪かき（2月）"
    svc.need_start_design(need=need, actor=staff)
    with pytest.raises(InvalidTransition):
        svc.need_update(need=need, actor=nushi, data={"title": "変更"})
    assert Need.objects.get(pk=need.pk).title == "雪かき（2月）"


def test_withdraw_and_then_nothing_more(organization, nushi, staff):
    need = svc.need_submit(actor=nushi, nushi=organization, data=DATA)
    assert svc.need_withdraw(need=need, actor=nushi).status == Need.Status.WITHDRAWN
    with pytest.raises(InvalidTransition):
        svc.need_reject(need=need, actor=staff, reason="x")
    assert need.history.order_by("-history_date").first().history_user == nushi


def test_reject_needs_a_reason_and_tells_the_nushi(organization, nushi, staff):
    need = svc.need_submit(actor=nushi, nushi=organization, data=DATA)
    with pytest.raises(InvalidTransition):
        svc.need_reject(need=need, actor=staff, reason=" ")
    assert Need.objects.get(pk=need.pk).status == Need.Status.SUBMITTED
    need = svc.need_reject(need=need, actor=staff, reason="除雪は社協の事業で対応します")
    assert (need.status, need.rejection_reason) == (
        Need.Status.REJECTED,
        "除雪は社協の事業で対応します",
    )
    assert OutboxMessage.objects.filter(recipient=nushi, kind="need_rejected").exists()


def test_start_design_is_idempotent(organization, nushi, staff):
    need = svc.need_submit(actor=nushi, nushi=organization, data=DATA)
    svc.need_start_design(need=need, actor=staff)
    assert svc.need_start_design(need=need, actor=staff).status == Need.Status.IN_DESIGN


def test_a_resident_without_an_organisation_becomes_an_individual_nushi(municipality, helper):
    org = svc.individual_nushi_create(user=helper, municipality=municipality, name="山田 はな")
    need = svc.need_submit(actor=helper, nushi=org, data=DATA)
    assert org.members.get() == helper and need.municipality == municipality
