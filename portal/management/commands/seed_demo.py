import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from points import demo as points_demo
from portal.demo import applications, codes_town, people, programs
from portal.demo import matching as matching_demo


def _analyze() -> None:
    """Planner statistics for the rows just bulk-written: autovacuum gets to them only after a while,
    and until then the monthly reports' aggregates are planned as if the tables were empty (seen: each
    report twice as slow)."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


class Command(BaseCommand):
    help = (
        "Create demo data (idempotent). --scale large adds bulk data for benchmarks. The demo accounts "
        "share a published password and the staff account a fixed TOTP secret: with DEBUG off the "
        "command refuses unless given --with-demo-logins."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=["small", "large"], default="small")
        parser.add_argument(
            "--with-demo-logins",
            action="store_true",
            help="create the demo logins even with DEBUG off (a demo or benchmark server only)",
        )

    def handle(self, *args, scale: str, with_demo_logins: bool = False, **options):
        # Anyone who has read the README could sign in to a server seeded by mistake, as staff too.
        if not settings.DEBUG and not with_demo_logins:
            raise CommandError(
                "DEBUG がオフです。デモデータは公開済みのパスワードと固定の二段階認証キーを持つ"
                "ログインを作るため、作成しませんでした。デモ用のサーバーでだけ --with-demo-logins を"
                "付けて実行してください。\n"
                "DEBUG is off: the demo data would create logins with a published password and a fixed "
                "TOTP secret, so nothing was created. On a demo server only, run it again with "
                "--with-demo-logins."
            )
        started = time.monotonic()
        cast = people.seed_people()
        programs.seed_programs(cast)
        # Before the rosters are filled: its closed sessions come with their attendees, its coming
        # one gets applications as the others do.
        town = codes_town.seed_codes_municipality()
        self.stdout.write(
            f"{town.name}: points as one-time codes (staff {codes_town.CODES_STAFF_EMAIL})"
        )
        applications.seed_applications()
        if scale == "large":
            made = people.seed_large_helpers()
            self.stdout.write(f"large scale: {made} helpers added")
            made = programs.seed_large_programs(cast)
            self.stdout.write(f"large scale: {made} programs added (3 sessions each)")
            made = applications.seed_large_applications()
            self.stdout.write(f"large scale: {made} applications added")
        # The history evaluate_matching replays, sampled from hidden tastes (portal/demo/matching.py).
        began = time.monotonic()
        made = matching_demo.seed_taste_history(cast, scale=scale)
        self.stdout.write(
            f"matching: {made} applications from hidden tastes added"
            f" in {time.monotonic() - began:.1f}s"
        )
        self.stdout.write(f"points: {points_demo.seed_points(scale=scale)}")
        if scale == "large":
            _analyze()
        if applications.seed_attendance_correction():
            self.stdout.write("points: one attendance corrected to a no-show (its credit reversed)")
        # Two years of monthly reports on the large data, so month-on-month and year-on-year show. By
        # name: reports sits above portal (the layers in pyproject.toml), portal never imports it.
        call_command(
            "seed_monthly_reports", months=24 if scale == "large" else 3, stdout=self.stdout
        )
        self.stdout.write(
            self.style.SUCCESS(f"demo data ready in {time.monotonic() - started:.1f}s")
        )
        self.stdout.write(
            "\nデモ用ログイン / demo logins (password for all: "
            f"{people.DEMO_PASSWORD})\n"
            f"  お手伝いさん helper : {cast.helper.email}\n"
            f"  ヌシ nushi          : {cast.nushi.email}\n"
            f"  事務局 staff        : {cast.staff.email}  (二段階認証 TOTP secret: "
            f"{people.DEMO_TOTP_SECRET}; current code: .venv/bin/python manage.py demo_totp)\n"
            f"  白川村 staff (point codes): {codes_town.CODES_STAFF_EMAIL}  (the same TOTP secret)\n"
        )
