"""sitemap.xml for search engines: the public pages, every published or closed program and every
published activity report, so that people looking for ways to help find them."""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from accounts.models import Municipality, Organization
from portal.models import ActivityReport, Program
from portal.permissions import PUBLIC_PROGRAM_STATES, public_nushi, public_programs


class PagesSitemap(Sitemap):
    changefreq = "daily"

    def items(self):
        return ["home", "program_list", "program_calendar", "report_list"]

    def location(self, item):
        return reverse(item)


class ProgramSitemap(Sitemap):
    changefreq = "daily"

    def items(self):
        return public_programs(Program.objects.all()).only("pk", "updated_at").order_by("pk")

    def lastmod(self, program):
        return program.updated_at

    def location(self, program):
        return reverse("program_detail", args=[program.pk])


class ReportSitemap(Sitemap):
    changefreq = "weekly"

    def items(self):
        return (
            ActivityReport.objects.filter(
                status=ActivityReport.Status.PUBLISHED, program__status__in=PUBLIC_PROGRAM_STATES
            )
            .only("pk", "published_at")
            .order_by("pk")
        )

    def lastmod(self, report):
        return report.published_at

    def location(self, report):
        return reverse("report_detail", args=[report.pk])


class MunicipalitySitemap(Sitemap):
    changefreq = "daily"

    def items(self):
        return Municipality.objects.only("slug").order_by("pk")

    def location(self, municipality):
        return reverse("municipality_page", args=[municipality.slug])


class NushiSitemap(Sitemap):
    changefreq = "weekly"

    def items(self):
        return public_nushi(Organization.objects.only("pk")).order_by("pk")

    def location(self, nushi):
        return reverse("nushi_page", args=[nushi.pk])


SITEMAPS = {
    "pages": PagesSitemap,
    "towns": MunicipalitySitemap,
    "nushi": NushiSitemap,
    "programs": ProgramSitemap,
    "reports": ReportSitemap,
}
