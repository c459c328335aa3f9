from collections import Counter

from django.core.management.base import BaseCommand

from content import pack_checks
from content.pack import iter_pack_files, read_text
from content.programme import BANDS, FINEST, band_of


class Command(BaseCommand):
    help = (
        "コンテンツパックの日本語の文面を、期間ごとの件数、5-gram Jaccard（いちばん近い文面）と"
        "読みやすさ（jreadability）の分布、足りないステージ、問題の件数で示します。"
    )

    def handle(self, *args, **options) -> None:
        texts = [read_text(path) for path in iter_pack_files("ja")]
        stages = [t for t in texts if t.kind == "stage" and t.audience == "everyone" and t.stage]
        promised = Counter(band_of(stage) for stage in FINEST.stages())
        written = Counter(band_of(t.stage) for t in stages if t.stage in set(FINEST.stages()))
        self.stdout.write("期間ごとの文面（日本語・全員向け、いちばん細かい頻度）:")
        for band in BANDS:
            self.stdout.write(
                f"  {band.label_ja:<20} {written[band.name]:>4} / {promised[band.name]}"
            )
        birthdays = sorted(t.age_years for t in texts if t.kind == "birthday")
        self.stdout.write(f"  誕生日 {birthdays}")
        nearest = pack_checks.nearest_texts(texts)
        scores = {t.relative_path: pack_checks.readability(t) for t in stages}
        daily = [scores[t.relative_path] for t in stages if pack_checks.is_daily(t)]
        anchors = [scores[t.relative_path] for t in stages if not pack_checks.is_daily(t)]
        self.stdout.write(
            "5-gram Jaccard: " + pack_checks.distribution([n.jaccard for n in nearest])
        )
        closest = sorted(nearest, key=lambda n: -n.jaccard)[:5]
        for n in closest:
            self.stdout.write(f"  {n.jaccard:.2f} {n.path} ~ {n.other}")
        self.stdout.write("readability, daily steps: " + pack_checks.distribution(daily))
        self.stdout.write("readability, anchors: " + pack_checks.distribution(anchors))
        missing = pack_checks.missing_steps(texts)
        self.stdout.write(f"missing stages: {len(missing)}")
        problems = [p for t in texts for p in t.problems] + [
            p for t in stages for p in pack_checks.text_problems(t, scores[t.relative_path])
        ]
        problems += pack_checks.near_copy_problems(nearest)
        self.stdout.write(f"problems: {len(problems)}")
