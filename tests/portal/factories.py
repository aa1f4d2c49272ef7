from datetime import datetime, timedelta

import factory
from django.utils import timezone

from accounts.categories import Category
from portal.models import Application, Need, Program, Session
from portal.search import program_search_text
from tests.accounts.factories import MunicipalityFactory, OrganizationFactory, UserFactory


def later_today() -> datetime:
    """A moment later today in Japan time, at any hour: halfway from now to 23:59 (a fixed number of
    hours ahead is tomorrow late in the evening, and a "today" test failed then)."""
    now = timezone.localtime()
    return now + (now.replace(hour=23, minute=59, second=0, microsecond=0) - now) / 2


class NeedFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Need

    municipality = factory.SubFactory(MunicipalityFactory)
    nushi = factory.SubFactory(
        OrganizationFactory, municipality=factory.SelfAttribute("..municipality")
    )
    created_by = factory.SubFactory(UserFactory)
    title = "みょうが畑を広げたい"
    description = "畑の草取りと、みょうがの根を植える手伝いがほしい。"
    helpers_wanted = 3


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program

    municipality = factory.SubFactory(MunicipalityFactory)
    nushi = factory.SubFactory(
        OrganizationFactory, municipality=factory.SelfAttribute("..municipality")
    )
    title = factory.Sequence(lambda n: f"みょうが畑づくり体験 {n}")
    summary = "飛騨の山あいで、みょうが畑をいちから作ります。"
    story = "草を刈り、畝を立て、みょうがの根を植えます。"
    category = Category.FARMING
    meeting_place = "古川町公民館"
    meeting_address = "岐阜県飛騨市古川町殿町1-2"
    points_per_participant = 500
    status = Program.Status.PUBLISHED
    published_at = factory.LazyFunction(timezone.now)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        program = model_class(*args, **kwargs)
        program.search_text = program_search_text(program)  # as the program service writes it
        program.save()
        return program


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Session

    program = factory.SubFactory(ProgramFactory)
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=14))
    ends_at = factory.LazyAttribute(lambda s: s.starts_at + timedelta(hours=3))
    apply_deadline = factory.LazyAttribute(lambda s: s.starts_at - timedelta(days=2))
    capacity = 10


class ApplicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Application

    session = factory.SubFactory(SessionFactory)
    helper = factory.SubFactory(UserFactory)
    status = Application.Status.APPLIED
