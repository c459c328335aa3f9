from django.core.management.base import BaseCommand, CommandError, CommandParser

from content.translations import FOREIGN_RESIDENT_LANGUAGES, base_track_paths, check_language


class Command(BaseCommand):
    help = "外国語・やさしい日本語の基本トラックを、日本語の原文と照らして確認します。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "languages", nargs="*", help="言語コード（省略時はすべて）: ja-easy zh-hans ko …"
        )

    def handle(self, *args: object, **options: object) -> None:
        languages = list(options["languages"] or FOREIGN_RESIDENT_LANGUAGES)  # type: ignore[call-overload]
        unknown = sorted(set(languages) - set(FOREIGN_RESIDENT_LANGUAGES))
        if unknown:
            raise CommandError(f"対象外の言語です: {', '.join(unknown)}")
        total = len(base_track_paths())
        failed = False
        for language in languages:
            report = check_language(language)
            written = total - len(report.missing)
            self.stdout.write(
                f"{language}: {written}/{total} 本, 問題のある本文 {len(report.problems)} 本"
            )
            for relative in report.missing:
                self.stdout.write(f"  未作成 {relative}")
            for relative, problems in report.problems.items():
                for problem in problems:
                    self.stdout.write(f"  {relative}: {problem}")
            failed = failed or not report.ok
        if failed:
            raise CommandError("基本トラックに足りない本文か問題があります。")
