from django.core.management.base import BaseCommand
from django.utils import timezone

from accounts.models import Municipality
from reports import services
from reports.figures import shift_month
from reports.models import Scope


class Command(BaseCommand):
    help = (
        "Demo data for 月次参加レポート: version 1 of each municipality's last N closed months, where "
        "none exists yet (idempotent). seed_demo runs it after the marketplace and points demo data."
    )

    def add_arguments(self, parser):
        parser.add_argument("--months", type=int, default=3)

    def handle(self, *args, months: int, **options):
        today = timezone.localdate()
        made = 0
        for municipality in Municipality.objects.order_by("pk"):
            for back in range(months, 0, -1):
                year, month = shift_month(today.year, today.month, -back)
                made += bool(
                    services.monthly_report_create(
                        scope=Scope.MUNICIPALITY,
                        municipality_id=municipality.pk,
                        year=year,
                        month=month,
                        first_only=True,
                    )
                )
        self.stdout.write(f"monthly reports: {made} snapshots added")
