from django.conf import settings
from django.core.management.base import BaseCommand

from operations.demo import load_demo, summary


class Command(BaseCommand):
    help = "デモ用の自治体・スタッフのアカウント・家族を登録します（何度実行しても同じ結果です）。"

    def handle(self, *args, **options) -> None:
        municipality, _ = load_demo()
        self.stdout.write(self.style.SUCCESS(f"デモ自治体: {municipality.service_name}"))
        for line in summary(settings.SITE_URL):
            self.stdout.write(line)
