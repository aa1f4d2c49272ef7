import factory
from allauth.account.models import EmailAddress

from accounts.models import (
    Consent,
    District,
    HelperProfile,
    Municipality,
    Organization,
    OrganizationMembership,
    StaffMembership,
    User,
)
from accounts.pages import SHIPPED_VERSION

PASSWORD = "correct-horse-battery-staple"


class MunicipalityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Municipality
        django_get_or_create = ["slug"]

    name = "飛騨市"
    prefecture = "岐阜県"
    slug = factory.Sequence(lambda n: f"town{n}")
    helper_brand_name = "ヒダスケさん"


class DistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = District

    municipality = factory.SubFactory(MunicipalityFactory)
    name = factory.Sequence(lambda n: f"地区{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.jp")
    name = factory.Sequence(lambda n: f"利用者 {n}")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def verified_email(self, create, extracted, **kwargs):
        if create:
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)

    @factory.post_generation
    def consented(self, create, extracted, **kwargs):
        """Accepted the shipped terms and privacy policy at signup, as every account has
        (`consented=False` for one that never did: accounts.middleware then asks first)."""
        if create and extracted is not False:
            for document in Consent.Document.values:
                Consent.objects.create(user=self, document=document, version=SHIPPED_VERSION)


class HelperProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HelperProfile

    user = factory.SubFactory(UserFactory)
    display_name = factory.Sequence(lambda n: f"お手伝い{n}")
    postal_code = "100-0001"
    home_prefecture = "東京都"
    home_municipality = "千代田区"
    birth_year = 1990
    skills = factory.LazyFunction(lambda: ["farming"])
    interests = factory.LazyFunction(lambda: ["farming"])


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    municipality = factory.SubFactory(MunicipalityFactory)
    name = factory.Sequence(lambda n: f"ヌシ団体{n}")
    kind = Organization.Kind.INDIVIDUAL
    phone = "+81577730001"
    postal_code = "509-4224"
    address = "飛騨市古川町殿町1-2"


class OrganizationMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrganizationMembership

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)
    role = OrganizationMembership.Role.REPRESENTATIVE


class StaffMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffMembership

    user = factory.SubFactory(UserFactory, is_staff=True)
    municipality = factory.SubFactory(MunicipalityFactory)
