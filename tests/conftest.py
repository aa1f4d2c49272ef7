"""The named cast every test can use, and the browser set-up.

Who may see what:
- `staff` is staff of `municipality` (飛騨市): sees and changes its needs, programs, rosters, contact data;
- `other_municipality_staff` is staff of `other_municipality`: sees none of 飛騨市's private data;
- `nushi` represents `organization` in 飛騨市: sees and edits only its own needs and drafts;
- `other_nushi` represents another organization of 飛騨市: sees nothing of `nushi`'s;
- `helper` and `other_helper` are helpers with complete profiles (from 東京都 and 大阪府): each sees only
  their own applications, and the nushi's phone/address only once accepted.
"""

import os

import pytest
from allauth.mfa.models import Authenticator
from django.conf import settings

from tests.accounts.factories import (
    HelperProfileFactory,
    MunicipalityFactory,
    OrganizationFactory,
    OrganizationMembershipFactory,
    StaffMembershipFactory,
    UserFactory,
)

# Playwright's sync API runs an event loop in the test thread; Django's async-safety check would then
# refuse the test's own ORM calls. Tests are single-threaded around it, so this is safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _clear_cache():
    # Rate-limit counters live in the cache (Redis db 15 in tests): each test starts with none.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _default_language():
    """A request in English (cookie or header) leaves the thread's language active after it, as a
    server thread would until its next request; each test starts in Japanese, the site's default."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def municipality(db):
    return MunicipalityFactory(slug="hida", name="飛騨市", prefecture="岐阜県")


@pytest.fixture
def other_municipality(db):
    return MunicipalityFactory(
        slug="gujo", name="郡上市", prefecture="岐阜県", helper_brand_name=""
    )


def _with_mfa(user):
    # Staff must have TOTP on (accounts.middleware); the cast has it, as real staff would.
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    return user


@pytest.fixture
def staff(municipality):
    return _with_mfa(StaffMembershipFactory(municipality=municipality).user)


@pytest.fixture
def other_municipality_staff(other_municipality):
    return _with_mfa(StaffMembershipFactory(municipality=other_municipality).user)


@pytest.fixture
def organization(municipality):
    return OrganizationFactory(municipality=municipality, name="みょうが農家 中田さん")


@pytest.fixture
def nushi(organization):
    return OrganizationMembershipFactory(organization=organization).user


@pytest.fixture
def other_organization(municipality):
    return OrganizationFactory(
        municipality=municipality, name="山中和紙保存会", phone="+81577730002"
    )


@pytest.fixture
def other_nushi(other_organization):
    return OrganizationMembershipFactory(organization=other_organization).user


@pytest.fixture
def helper(db):
    return HelperProfileFactory(display_name="ゆうき").user


@pytest.fixture
def other_helper(db):
    return HelperProfileFactory(
        display_name="さくら",
        postal_code="530-0001",
        home_prefecture="大阪府",
        home_municipality="大阪市北区",
    ).user


@pytest.fixture
def anonymous_user(db):
    return UserFactory.build()


# --- Browser ---------------------------------------------------------------------------------------
ARTIFACTS = settings.BASE_DIR / "test-artifacts"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    # Debian's Chromium, never a downloaded build; flags that keep it off this closed network.
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": [
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
        ],
    }  # fmt: skip


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "ja-JP", "timezone_id": "Asia/Tokyo"}


@pytest.fixture
def screenshot(page):
    """screenshot("name") saves test-artifacts/<name>.png (kept by CI as an artefact)."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(name: str, full_page: bool = True):
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take


@pytest.fixture
def admin_user(admin_user):
    """pytest-django's superuser, having accepted the terms and privacy policy as every account has
    (accounts.middleware would otherwise send each of its pages to the consent page)."""
    from accounts.models import Consent
    from accounts.pages import SHIPPED_VERSION

    for document in Consent.Document.values:
        Consent.objects.create(user=admin_user, document=document, version=SHIPPED_VERSION)
    return admin_user
