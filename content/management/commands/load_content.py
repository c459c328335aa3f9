from django.core.management.base import BaseCommand, CommandError

from content.pack import LANGUAGES
from content.services import PackError, load_pack


class Command(BaseCommand):
    help = (
        "リポジトリのコンテンツパックを読み込みます。何度実行しても重複せず、変更分だけ更新します。"
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--pack", choices=LANGUAGES, help="読み込む言語（省略時はすべて）")

    def handle(self, *args, pack: str | None = None, **options) -> None:
        try:
            result = load_pack(language=pack)
        except PackError as error:
            for problem in error.problems:
                self.stderr.write(problem)
            raise CommandError(
                f"コンテンツパックに {len(error.problems)} 件の問題があります。何も読み込んでいません。"
            ) from error
        for (language, track, audience), count in sorted(result.by_group.items()):
            self.stdout.write(f"  {language:<3} {track:<10} {audience:<12} {count:>4}")
        self.stdout.write(
            self.style.SUCCESS(
                f"新規 {result.created} 件、更新 {result.updated} 件、変更なし {result.unchanged} 件"
            )
        )
        self.stdout.write("※ 本文はすべて医療監修前です。本番で使う前に監修を受けてください。")
