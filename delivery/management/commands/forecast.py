import datetime
from collections import defaultdict

from django.core.management.base import BaseCommand, CommandParser

from delivery import planner, stats
from kizuna import clock

from ._arguments import municipalities, parse_date


class Command(BaseCommand):
    help = (
        "今後の配信件数を日ごと・自治体ごと・配信方法ごとに予測します（LINEの月間通数の目安に）。"
        "自治体を指定しないときは、運用画面の予測も更新します。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=30, help="予測する日数（既定: 30）")
        parser.add_argument("--start", help="開始日 YYYY-MM-DD（既定: 明日）")
        parser.add_argument("--municipality", help="自治体のURL名（省略時はすべて）")

    def handle(
        self, *args: str, days: int, start: str | None, municipality: str | None, **options: object
    ) -> None:
        first = parse_date(start) if start else clock.today() + datetime.timedelta(days=1)
        targets = municipalities(municipality)
        if municipality is None:
            # All of them: the same counts the nightly job stores for the operations dashboard.
            stats.refresh_forecast(first, days)
        result = planner.forecast_with_requests(targets, first, days)
        counts = result.counts
        totals: dict[tuple[int, str], int] = defaultdict(int)
        self.stdout.write("日付\t自治体\tメール\tLINE")
        for target in targets:
            for offset in range(days):
                day = first + datetime.timedelta(days=offset)
                email = counts.get((day, target.pk, "email"), 0)
                line = counts.get((day, target.pk, "line"), 0)
                totals[(target.pk, "email")] += email
                totals[(target.pk, "line")] += line
                for way in (planner.NICKNAMES, planner.MULTICAST):
                    totals[(target.pk, way)] += result.line_requests.get((day, target.pk, way), 0)
                self.stdout.write(f"{day}\t{target.name}\t{email}\t{line}")
        for target in targets:
            self.stdout.write(
                self.style.SUCCESS(
                    f"{target.name} {days}日間の合計: メール {totals[(target.pk, 'email')]} 通、"
                    f"LINE {totals[(target.pk, 'line')]} 通"
                )
            )
            if totals[(target.pk, "line")]:
                chosen = "ニックネーム" if target.line_nicknames else "まとめて送信"
                self.stdout.write(
                    f"  LINEのAPIリクエスト: ニックネームで呼びかけると "
                    f"{totals[(target.pk, planner.NICKNAMES)]} 回、時期ごとにまとめて送信すると "
                    f"{totals[(target.pk, planner.MULTICAST)]} 回（現在の設定: {chosen}。"
                    "LINEの通数はどちらも同じです）"
                )
