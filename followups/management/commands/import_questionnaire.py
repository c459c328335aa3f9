"""Load a municipality's questionnaire from the JSON import format (README: 伴走型相談支援)."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from followups.services import FollowupError, import_questionnaire
from municipalities.models import Municipality


class Command(BaseCommand):
    help = "記名アンケート（点数・しきい値つき）をJSONファイルから登録します。"

    def add_arguments(self, parser):
        parser.add_argument("path", help="JSONファイル（UTF-8）")
        parser.add_argument("--municipality", required=True, help="自治体のslug")

    def handle(self, *args, path, municipality, **options):
        target = Municipality.objects.filter(slug=municipality).first()
        if target is None:
            raise CommandError(f"自治体「{municipality}」が見つかりません。")
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"ファイルを読めません: {error}") from error
        except json.JSONDecodeError as error:
            raise CommandError(
                f"JSONとして読めません（{error.lineno}行目 {error.colno}文字目）。"
            ) from error
        try:
            questionnaire = import_questionnaire(target, data)
        except FollowupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"「{questionnaire.title}」（{questionnaire.stage_label}、"
            f"質問{questionnaire.questions.count()}問）を{target.name}に登録しました（ID {questionnaire.pk}）。"
        )
