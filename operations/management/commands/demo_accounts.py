import socket
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand

from operations.demo import summary


class Command(BaseCommand):
    help = "デモ用アカウントとパスワード、開くページを表示します（make run が最後に表示します）。"

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--wait", action="store_true", help="ウェブサーバーが応答するまで待ってから表示します"
        )
        parser.add_argument(
            "--stay",
            action="store_true",
            help="表示のあとも終わらずに待ちます（honcho は一つの処理が終わると全体を止めるため）",
        )

    def handle(self, *args, wait: bool, stay: bool, **options) -> None:
        if wait:
            self._wait_for_web()
        self.stdout.write("")
        for line in summary(settings.SITE_URL):
            self.stdout.write(line)
        self.stdout.flush()
        while stay:
            time.sleep(3600)

    def _wait_for_web(self, timeout: float = 120.0) -> None:
        # The worker and beat print their banners in the first seconds too: wait for the web
        # server to answer, then a little longer, so these lines come last.
        site = urlsplit(settings.SITE_URL)
        address = (site.hostname or "127.0.0.1", site.port or 80)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(address, timeout=2):
                    break
            except OSError:
                time.sleep(0.5)
        time.sleep(4)
