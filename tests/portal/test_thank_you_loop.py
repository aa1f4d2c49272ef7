"""The thank-you loop's success path, through the pages: after the session the nushi thanks the helpers
who attended (with a photo), each attendee is told and reads it, leaves an impression, and staff pull the
thank-you, its photo and the impressions helpers agreed to publish into a draft activity report, which
they publish for everyone."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from notifications.models import OutboxMessage
from portal.models import ActivityReport, Application, ThankYou
from tests.portal.apply_helpers import make_helpers
from tests.portal.factories import ProgramFactory, SessionFactory
from tests.portal.images import has_exif, jpeg_with_gps

pytestmark = pytest.mark.django_db
THANKS = "おかげで畝が10本できました。本当にありがとうございました。"


@pytest.fixture
def past_session(municipality, organization):
    program = ProgramFactory(municipality=municipality, nushi=organization)
    start = timezone.now() - timedelta(days=1)
    return SessionFactory(
        program=program, starts_at=start, apply_deadline=start - timedelta(days=2), places_taken=3
    )


def test_thank_you_to_published_activity_report(client, past_session, nushi, staff):
    agrees, private, absent = make_helpers(3)
    applications = {
        user: Application.objects.create(session=past_session, helper=user, status=status)
        for user, status in ((agrees, "attended"), (private, "attended"), (absent, "no_show"))
    }

    client.force_login(nushi)
    response = client.post(
        reverse("session_thanks", args=[past_session.pk]),
        {"body": THANKS, "photos": [jpeg_with_gps("field.jpg")]},
    )
    assert response.status_code == 302
    thank_you = ThankYou.objects.get(session=past_session)
    assert thank_you.photos.count() == 1 and not has_exif(thank_you.photos.get().image.path)
    told = OutboxMessage.objects.filter(kind="thank_you")
    assert set(told.values_list("recipient_id", flat=True)) == {agrees.pk, private.pk}
    assert all(THANKS in m.body for m in told)

    for user, body, may_publish in (
        (agrees, "畑仕事の楽しさを知りました", "on"),
        (private, "腰が痛くなりました", ""),
    ):
        client.force_login(user)
        detail = reverse("application_detail", args=[applications[user].pk])
        assert THANKS in client.get(detail).content.decode()
        client.post(
            reverse("application_impression", args=[applications[user].pk]),
            {"body": body, **({"may_publish": may_publish} if may_publish else {})},
        )

    client.force_login(staff)
    client.post(reverse("session_report_draft", args=[past_session.pk]))
    report = ActivityReport.objects.get(session=past_session)
    assert report.status == ActivityReport.Status.DRAFT
    assert THANKS in report.body
    assert "畑仕事の楽しさを知りました" in report.body and "応募者0" in report.body
    assert "腰が痛くなりました" not in report.body  # that helper did not agree to publish
    assert report.photos.count() == 1
    assert client.get(reverse("report_detail", args=[report.pk])).status_code == 404  # a draft

    client.post(reverse("staff_report_publish", args=[report.pk]))
    client.logout()
    page = client.get(reverse("report_detail", args=[report.pk])).content.decode()
    assert THANKS in page and report.photos.get().image.url in page
    program_page = client.get(reverse("program_detail", args=[past_session.program_id]))
    assert reverse("report_detail", args=[report.pk]) in program_page.content.decode()
