import time

from django.core.management.base import BaseCommand

from portal.demo import applications, people, programs


class Command(BaseCommand):
    help = "Create demo data (idempotent). --scale large adds bulk data for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=["small", "large"], default="small")

    def handle(self, *args, scale: str, **options):
        started = time.monotonic()
        cast = people.seed_people()
        programs.seed_programs(cast)
        applications.seed_applications()  # issue 5
        if scale == "large":
            made = people.seed_large_helpers()
            self.stdout.write(f"large scale: {made} helpers added")
            made = programs.seed_large_programs(cast)
            self.stdout.write(f"large scale: {made} programs added (3 sessions each)")
            made = applications.seed_large_applications()  # issue 5
            self.stdout.write(f"large scale: {made} applications added")
        self.stdout.write(
            self.style.SUCCESS(f"demo data ready in {time.monotonic() - started:.1f}s")
        )
        self.stdout.write(
            "\nデモ用ログイン / demo logins (password for all: "
            f"{people.DEMO_PASSWORD})\n"
            f"  お手伝いさん helper : {cast.helper.email}\n"
            f"  ヌシ nushi          : {cast.nushi.email}\n"
            f"  事務局 staff        : {cast.staff.email}  (二段階認証 TOTP secret: "
            f"{people.DEMO_TOTP_SECRET}; current code: python manage.py demo_totp)\n"
        )
