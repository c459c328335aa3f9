from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from adoption import imports
from adoption.models import ImportRow
from municipalities.models import Municipality


class Command(BaseCommand):
    help = (
        "ほかのサービスから書き出した読者のファイル（CSV/Excel）を確認し、--confirm で取り込みます。"
        " 確認だけでは何も登録しません。同じファイルを何度取り込んでも二重になりません。"
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="CSV（UTF-8 または Shift_JIS）か Excel（.xlsx）")
        parser.add_argument("--municipality", required=True, help="自治体のURL名")
        parser.add_argument("--source", required=True, help="移行元のサービス名")
        parser.add_argument("--confirm", action="store_true", help="確認のあと、そのまま取り込む")
        parser.add_argument("--show", type=int, default=20, help="表示する取り込めない行の数")

    def progress(self, label: str):
        def report(done: int, total: int) -> None:
            self.stdout.write(f"  {label}: {done:,} / {total:,}行")

        return report

    def handle(
        self, *args, file: str, municipality: str, source: str, confirm: bool, show: int, **options
    ) -> None:
        target = Municipality.objects.filter(slug=municipality).first()
        if target is None:
            raise CommandError(f"URL名 {municipality!r} の自治体はありません。")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"ファイル {file} がありません。")
        batch = imports.start(
            target, raw=path.read_bytes(), file_name=path.name, source_name=source
        )
        batch = imports.analyse(batch.pk, progress=self.progress("確認"))
        if batch.status == batch.Status.FAILED:
            raise CommandError(batch.error)
        self.stdout.write(
            f"取り込み #{batch.pk}: {batch.total_rows:,}行 — 新規 {batch.to_create:,}、"
            f"既存の家族に追加 {batch.to_merge:,}、取り込み済み {batch.already_imported:,}、"
            f"取り込めない {batch.rejected:,}"
        )
        for row in batch.rows.filter(action=ImportRow.Action.REJECT)[:show]:
            self.stdout.write(f"  {row.line}行目: {row.reasons}")
        if not confirm:
            self.stdout.write("（確認のみ。--confirm を付けると取り込みます）")
            return
        imports.confirm(batch.pk)
        batch = imports.run(batch.pk, progress=self.progress("取り込み"))
        self.stdout.write(
            self.style.SUCCESS(
                f"取り込みました: {batch.imported:,}人（見送り {batch.skipped_at_import:,}行）"
            )
        )
