"""The pages a newcomer meets: the home page (programs with places left, latest activity reports, a
way in for residents), a municipality's page, a nushi's page, and the photos and helpers' impressions
on a program page. Public, so they show nothing private: no nushi phone or address, no helper's real
name, no impression the helper kept to the hosts."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.models import ActivityReport, ActivityReportPhoto, Impression, Program, ThankYou
from tests.accounts.factories import HelperProfileFactory
from tests.portal.factories import ApplicationFactory, ProgramFactory, SessionFactory

pytestmark = pytest.mark.django_db


def published(municipality, organization, title, *, days=10, capacity=10, taken=0, **fields):
    program = ProgramFactory(
        municipality=municipality, nushi=organization, title=title,
        cover_image="programs/cover.jpg", cover_thumbnail="thumbs/cover.jpg", **fields,
    )  # fmt: skip
    start = timezone.now() + timedelta(days=days)
    SessionFactory(program=program, starts_at=start, capacity=capacity, places_taken=taken)
    return program


def past_session(program):
    start = timezone.now() - timedelta(days=5)
    return SessionFactory(
        program=program, starts_at=start, apply_deadline=start - timedelta(days=2),
        status="closed",
    )  # fmt: skip


def report(program, title="畝ができました", with_photo=True):
    r = ActivityReport.objects.create(
        program=program, title=title, body="6人で畝を立てました。", status="published",
        published_at=timezone.now(),
    )  # fmt: skip
    if with_photo:
        ActivityReportPhoto.objects.create(
            report=r, image="reports/a.jpg", thumbnail="thumbs/a.jpg", caption="畝を立てる様子"
        )
    return r


def impression(session, body, *, may_publish=True, status="attended", name="ゆうき"):
    helper = HelperProfileFactory(display_name=name).user
    application = ApplicationFactory(session=session, helper=helper, status=status)
    return Impression.objects.create(application=application, body=body, may_publish=may_publish)


# --- home ---------------------------------------------------------------------------------------


def test_home_shows_programs_with_places_left_reports_and_towns(
    client, municipality, organization, django_assert_num_queries
):
    open_program = published(municipality, organization, "みょうが畑づくり体験", taken=2)
    published(municipality, organization, "満員の屋台曳き", capacity=3, taken=3)
    report(open_program)
    # Queries on a miss: programs with places left (1), reports (1) and their photos (1),
    # municipalities (1); then none while the sections are cached.
    with django_assert_num_queries(4):
        page = client.get(reverse("home")).content.decode()
    with django_assert_num_queries(0):
        again = client.get(reverse("home")).content.decode()
    assert (
        again[again.index("<main") : again.index("</main>")]
        == page[page.index("<main") : page.index("</main>")]
    )
    assert "みょうが畑づくり体験" in page and "残り" in page and "8人" in page
    assert "満員の屋台曳き" not in page  # no places left: not offered on the home page
    assert "畝ができました" in page and 'alt="畝を立てる様子"' in page
    assert reverse("municipality_page", args=[municipality.slug]) in page


def test_home_shows_a_way_in_for_residents(client, helper):
    page = client.get(reverse("home")).content.decode()
    assert "困りごとのある方へ" in page
    assert f"{reverse('account_login')}?next={reverse('need_create')}" in page
    client.force_login(helper)
    page = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("need_create")}"' in page


def test_cards_without_a_photo_show_a_placeholder(client, municipality, organization):
    program = published(municipality, organization, "写真のないプログラム")
    Program.objects.filter(pk=program.pk).update(cover_image="", cover_thumbnail="")
    page = client.get(reverse("home")).content.decode()
    assert 'data-testid="no-photo"' in page and "no-photo.svg" in page


def test_card_images_carry_size_and_lazy_loading(client, municipality, organization):
    published(municipality, organization, "みょうが畑づくり体験")
    page = client.get(reverse("program_list")).content.decode()
    assert '<img src="/media/thumbs/cover.jpg" alt="" width="480" height="320"' in page
    assert 'loading="lazy"' in page


# --- a municipality's page ----------------------------------------------------------------------


def test_municipality_page(client, municipality, organization, other_municipality,
                           django_assert_num_queries):  # fmt: skip
    municipality.site_name = "ヒダスケ！"
    municipality.contact_phone = "+81577730111"
    municipality.contact_email = "hidasuke@example.jp"
    municipality.save()
    ours = published(municipality, organization, "みょうが畑づくり体験")
    report(ours)
    elsewhere = ProgramFactory(municipality=other_municipality, title="郡上踊りの準備")
    SessionFactory(program=elsewhere)
    # Queries: the municipality (1), programs with places left (1), the calendar (1), reports (1)
    # and their photos (1).
    with django_assert_num_queries(5):
        page = client.get(reverse("municipality_page", args=[municipality.slug])).content.decode()
    assert 'data-testid="brand">ヒダスケ！<' in page
    assert page.count("みょうが畑づくり体験") >= 2  # a card and a calendar entry
    assert "郡上踊りの準備" not in page
    assert "畝ができました" in page
    assert "0577-73-0111" in page and "hidasuke@example.jp" in page


def test_a_town_without_a_phone_number_does_not_offer_the_phone(client, municipality):
    """The contact said 「電話や窓口でも受け付けています」 beside an e-mail address and no number."""
    municipality.contact_email = "hidasuke@example.jp"
    municipality.save()
    page = client.get(reverse("municipality_page", args=[municipality.slug])).content.decode()
    assert "電話や窓口でも" not in page and "hidasuke@example.jp" in page
    municipality.contact_phone = "+81577730111"
    municipality.save()
    page = client.get(reverse("municipality_page", args=[municipality.slug])).content.decode()
    assert "電話や窓口でも受け付けています" in page and "0577-73-0111" in page


def test_unknown_municipality_is_404(client, municipality):
    assert client.get(reverse("municipality_page", args=["nowhere"])).status_code == 404


# --- a nushi's page -----------------------------------------------------------------------------


def test_nushi_page_shows_story_programs_reports_and_thank_yous(
    client, municipality, organization, nushi, django_assert_num_queries
):
    organization.description = "古川町でみょうがを育てて40年。"
    organization.save()
    program = published(municipality, organization, "みょうが畑づくり体験")
    closed = published(municipality, organization, "去年の収穫", status=Program.Status.CLOSED)
    draft = ProgramFactory(municipality=municipality, nushi=organization, title="下書きの企画",
                           status=Program.Status.DRAFT)  # fmt: skip
    report(program)
    ThankYou.objects.create(
        session=past_session(program), author=nushi, body="先日はありがとうございました！"
    )
    ThankYou.objects.create(session=past_session(draft), author=nushi, body="まだ非公開のお礼")
    # Queries: the nushi (1), programs with places left (1), all public programs (1), reports (1)
    # and their photos (1), thank-yous (1).
    with django_assert_num_queries(6):
        page = client.get(reverse("nushi_page", args=[organization.pk])).content.decode()
    for text in ("古川町でみょうがを育てて40年。", "みょうが畑づくり体験", closed.title,
                 "畝ができました", "先日はありがとうございました！"):  # fmt: skip
        assert text in page
    assert "下書きの企画" not in page and "まだ非公開のお礼" not in page


def test_nushi_page_shows_nothing_private(client, municipality, organization):
    published(municipality, organization, "みょうが畑づくり体験")
    page = client.get(reverse("nushi_page", args=[organization.pk])).content.decode()
    assert organization.address not in page and organization.postal_code not in page
    assert "0577-73-0001" not in page and "577730001" not in page


def test_a_nushi_without_a_public_program_has_no_page(client, municipality, organization):
    ProgramFactory(municipality=municipality, nushi=organization, status=Program.Status.DRAFT)
    assert client.get(reverse("nushi_page", args=[organization.pk])).status_code == 404


# --- photos and impressions on a program page ---------------------------------------------------


def test_program_page_shows_published_impressions_only(client, municipality, organization):
    program = published(municipality, organization, "みょうが畑づくり体験")
    session = past_session(program)
    shown = impression(session, "また来たいです。", name="ゆうき")
    impression(session, "ヌシさんにだけ伝えたい", may_publish=False, name="さくら")
    impression(session, "参加していない人の感想", status="no_show", name="けんじ")
    page = client.get(reverse("program_detail", args=[program.pk])).content.decode()
    assert "また来たいです。" in page and "ゆうき" in page
    assert "ヌシさんにだけ伝えたい" not in page and "参加していない人の感想" not in page
    assert shown.application.helper.name not in page  # the display name, never the real name


def test_program_page_shows_the_cover_with_its_size_and_links_the_hosts(
    client, municipality, organization
):
    program = published(municipality, organization, "みょうが畑づくり体験")
    page = client.get(reverse("program_detail", args=[program.pk])).content.decode()
    assert (
        'src="/media/programs/cover.jpg" alt="みょうが畑づくり体験の様子" width="1200" height="800"'
        in page
    )
    assert reverse("nushi_page", args=[organization.pk]) in page
    assert reverse("municipality_page", args=[municipality.slug]) in page


def test_program_page_with_photos_and_impressions_costs_one_query_when_cached(
    client, municipality, organization, django_assert_num_queries
):
    program = published(municipality, organization, "みょうが畑づくり体験")
    program.photos.create(image="programs/p.jpg", thumbnail="thumbs/p.jpg", caption="畑")
    impression(past_session(program), "また来たいです。")
    report(program)
    url = reverse("program_detail", args=[program.pk])
    first = client.get(url).content.decode()
    assert "また来たいです。" in first and 'alt="畑"' in first and "畝ができました" in first
    with django_assert_num_queries(1):
        client.get(url)


def test_sitemap_lists_the_towns_and_the_nushi_with_public_programs(
    client, municipality, organization, other_organization
):
    published(municipality, organization, "みょうが畑づくり体験")
    ProgramFactory(municipality=municipality, nushi=other_organization, status="draft")
    body = client.get("/sitemap.xml").content.decode()
    assert f"/towns/{municipality.slug}/</loc>" in body
    assert f"/nushi/{organization.pk}/</loc>" in body
    assert f"/nushi/{other_organization.pk}/</loc>" not in body


def test_the_program_page_says_the_relationship_type_in_plain_words(
    client, municipality, organization
):
    """The survey's terms (直接寄与型, 非訪問系) stay in the staff pages and the monthly reports."""
    remote = published(municipality, organization, "SNS発信のお手伝い", relationship_type="remote")
    page = client.get(reverse("program_detail", args=[remote.pk])).content.decode()
    assert "現地に行かずにできるお手伝い" in page
    assert "非訪問系" not in page and "直接寄与型" not in page
