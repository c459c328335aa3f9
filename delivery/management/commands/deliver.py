from django.core.management.base import BaseCommand, CommandError, CommandParser

from delivery import dispatch, planner

from ._arguments import municipalities, parse_date


class Command(BaseCommand):
    help = (
        "指定した日に届くメッセージを計画し、その場で送信します（何度実行しても二重に送りません）。"
        " --dry-run では送る予定の件数を表示するだけで、何も変更しません。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", required=True, help="配信日 YYYY-MM-DD（日本時間）")
        parser.add_argument("--municipality", help="自治体のURL名（省略時はすべて）")
        parser.add_argument("--dry-run", action="store_true", help="件数だけ表示して何も変更しない")

    def handle(
        self, *args: str, date: str, municipality: str | None, dry_run: bool, **options: object
    ) -> None:
        day = parse_date(date)
        targets = municipalities(municipality)
        names = {m.pk: m.name for m in targets}
        planned = 0
        for group in planner.groups_by_programme_length(targets):
            try:
                result = planner.plan_day(day, group, dry_run=dry_run)
            except planner.RolledUpDay as error:
                raise CommandError(str(error)) from error
            planned += result.total
            verb = "送る予定（新規）" if dry_run else "計画"
            self.stdout.write(f"{day} {verb}: {result.total} 件 {dict(result.planned)}")
            for (municipality_id, channel), count in sorted(result.by_channel.items()):
                self.stdout.write(f"  {names[municipality_id]} {channel}: {count} 件")
        if dry_run:
            self.stdout.write("（--dry-run のため何も変更していません）")
            return
        planner.refresh_statistics(planned)
        report = dispatch.dispatch(due_on=day, municipality_ids=list(names), time_budget=3600)
        self.stdout.write(
            self.style.SUCCESS(
                f"送信: {report.outcomes.get('sent', 0)} 件、再試行待ち: {report.outcomes.get('retry', 0)} 件、"
                f"失敗: {report.outcomes.get('failed', 0)} 件、取りやめ: {report.outcomes.get('skipped', 0)} 件"
                f"（{report.batches} バッチ、{report.seconds:.1f} 秒）"
            )
        )
