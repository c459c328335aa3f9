from django.core.management.base import BaseCommand

from operations.demo import load_demo


class Command(BaseCommand):
    help = "デモ用の自治体・管理者・家族を登録します（何度実行しても同じ結果です）。"

    def handle(self, *args, **options) -> None:
        municipality, login = load_demo()
        self.stdout.write(self.style.SUCCESS(f"デモ自治体: {municipality.service_name}"))
        self.stdout.write(
            f"管理画面: http://127.0.0.1:8000/admin/  ユーザー名: {login.username}  "
            f"パスワード: {login.password}"
        )
