"""Demo data for `make run`: one municipality, an account for each staff role, a few families
at different stages, a local notice and two years of reader surveys.

Idempotent: running it again changes nothing and prints the same accounts.
"""

import datetime
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from kizuna import clock
from kizuna.choices import CADENCE_PRESETS
from municipalities.models import (
    CONTENT_EDITORS_GROUP,
    OPERATORS_GROUP,
    ConsultationContact,
    Municipality,
    StaffMembership,
)
from subscribers.models import Child, Subscriber, Subscription

DEMO_SLUG = "demo"
DEMO_ADMIN = "admin"
DEMO_EDITOR = "demo-editor"
DEMO_VIEWER = "demo-viewer"
DEMO_OPERATOR = "demo-operator"
DEMO_CONTENT_EDITOR = "demo-content-editor"
DEMO_HEALTH = "demo-health"
ACCOUNTS_FILE = "demo-accounts.txt"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str  # what the account may do, in words
    password: str


# One account per staff role, so that each can be tried: (username, role in words, email).
_ACCOUNTS = [
    (DEMO_ADMIN, "管理者（すべての操作）", "admin@demo.example.jp"),
    (DEMO_EDITOR, "デモ市の編集者（設定・お知らせ・アンケート）", "editor@demo.example.jp"),
    (DEMO_VIEWER, "デモ市の閲覧者（見るだけ）", "viewer@demo.example.jp"),
    (DEMO_OPERATOR, "オペレーター（配信の運用・/ops/）", "operator@demo.example.jp"),
    (DEMO_CONTENT_EDITOR, "全国コンテンツ編集者（ステージメッセージ）", "content@demo.example.jp"),
    (DEMO_HEALTH, "デモ市の保健師（フォローアップ・/staff/followups/）", "health@demo.example.jp"),
]


def accounts_file() -> Path:
    return Path(settings.VAR_DIR) / ACCOUNTS_FILE


def _saved_passwords() -> dict[str, str]:
    """Passwords made on this machine, kept out of the repository (var/ is ignored)."""
    path = accounts_file()
    saved: dict[str, str] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            if line and not line.startswith("#") and "\t" in line:
                username, password = line.split("\t", 1)
                saved[username] = password.strip()
    # Before every role had an account, the admin's password was kept on its own.
    legacy = Path(settings.VAR_DIR) / "demo-admin-password"
    if DEMO_ADMIN not in saved and legacy.exists():
        saved[DEMO_ADMIN] = legacy.read_text().strip()
    return saved


def _save_passwords(passwords: dict[str, str]) -> None:
    path = accounts_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["# Kizuna のデモ用アカウント（make run が作成）: ユーザー名<TAB>パスワード"]
    lines += [f"{username}\t{password}" for username, password in passwords.items()]
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)


def demo_accounts() -> list[DemoAccount]:
    """The demo accounts and their passwords, as saved on this machine."""
    saved = _saved_passwords()
    return [DemoAccount(username, role, saved.get(username, "")) for username, role, _ in _ACCOUNTS]


DAILY_PRESET = CADENCE_PRESETS["daily"][1]


@transaction.atomic
def load_demo() -> tuple[Municipality, list[DemoAccount]]:
    municipality, _ = Municipality.objects.get_or_create(
        slug=DEMO_SLUG,
        defaults={
            "name": "デモ市",
            "prefecture": "東京都",
            "code": "139998",
            "service_name": "デモ市 きずなメール",
            "sender_name": "デモ市 子育て支援課",
            "sender_email": "kizuna@demo.example.jp",
        },
    )
    # The demo runs the daily programme to 小学1年生の3月, so tomorrow's text differs from today's.
    daily = {f"cadence_{band}": cadence.value for band, cadence in DAILY_PRESET.items()}
    if any(getattr(municipality, name) != value for name, value in daily.items()) or not (
        municipality.programme_to_first_grade
    ):
        Municipality.objects.filter(pk=municipality.pk).update(
            **daily, programme_to_first_grade=True
        )
        municipality.refresh_from_db()
    for order, (name, phone, hours) in enumerate(
        [
            ("デモ市 保健センター（母子保健係）", "03-0000-0000", "平日 8:30〜17:15"),
            ("デモ市 こども家庭センター", "03-0000-0001", "平日 9:00〜17:00"),
        ]
    ):
        ConsultationContact.objects.get_or_create(
            municipality=municipality,
            name=name,
            defaults={"phone": phone, "hours": hours, "order": order},
        )

    accounts = _ensure_accounts(municipality)
    _ensure_families(municipality)
    _ensure_local_notice(municipality)
    # Imported here: surveys builds on municipalities, not the other way round.
    from surveys.demo import ensure_demo_surveys

    ensure_demo_surveys(municipality)
    from reports.demo import ensure_demo_births

    ensure_demo_births(municipality)
    from followups.demo import ensure_demo_questionnaire

    ensure_demo_questionnaire(municipality)
    _ensure_adoption(municipality, get_user_model().objects.get(username=DEMO_ADMIN))
    return municipality, accounts


def _ensure_accounts(municipality: Municipality) -> list[DemoAccount]:
    """One account per staff role, each with a password made on this machine."""
    passwords = _saved_passwords()
    user_model = get_user_model()
    for username, _, email in _ACCOUNTS:
        password = passwords.setdefault(username, secrets.token_urlsafe(12))
        user, created = user_model.objects.get_or_create(
            username=username, defaults={"email": email, "is_staff": True}
        )
        if created or not user.check_password(password):
            user.set_password(password)
            user.save(update_fields=["password"])
    admin = user_model.objects.get(username=DEMO_ADMIN)
    if not (admin.is_superuser and admin.is_staff):
        admin.is_superuser = admin.is_staff = True
        admin.save(update_fields=["is_superuser", "is_staff"])
    for username, role in (
        (DEMO_EDITOR, "editor"),
        (DEMO_VIEWER, "viewer"),
        (DEMO_HEALTH, "health"),
    ):
        StaffMembership.objects.get_or_create(
            user=user_model.objects.get(username=username),
            municipality=municipality,
            defaults={"role": role},
        )
    for username, group in (
        (DEMO_OPERATOR, OPERATORS_GROUP),
        (DEMO_CONTENT_EDITOR, CONTENT_EDITORS_GROUP),
    ):
        user_model.objects.get(username=username).groups.add(
            Group.objects.get_or_create(name=group)[0]
        )
    _save_passwords(passwords)
    return demo_accounts()


def _ensure_local_notice(municipality: Municipality) -> None:
    """A notice of the municipality's own, so the timeline preview shows one."""
    from content.models import LocalNotice

    LocalNotice.objects.get_or_create(
        municipality=municipality,
        title="3〜4か月児健診のご案内",
        defaults={
            "body": (
                "生後3か月になる月に、個別にご案内を郵送します。\n"
                "日時: 毎月第2火曜日 13:00〜14:00\n場所: デモ市 保健センター\n\n"
                "持ち物:\n- 母子健康手帳\n- バスタオル"
            ),
            "track": "child",
            "unit": "month",
            "number_from": 3,
            "number_to": 4,
            "published": True,
        },
    )


# (email, relationship, nickname, due date offset in days or None, birth date offset or None)
_FAMILIES = [
    ("hana@demo.example.jp", "self", "はな", 140, None),  # 妊娠20週
    ("hana-partner@demo.example.jp", "partner", "ゆうと", 140, None),
    ("mei@demo.example.jp", "self", "めい", 20, None),  # 妊娠37週
    ("sora@demo.example.jp", "self", "そら", None, -3),  # 生後3日
    ("riku@demo.example.jp", "self", "りく", None, -120),  # 生後4か月ごろ
    ("riku-grandma@demo.example.jp", "grandparent", "", None, -120),
    ("aoi@demo.example.jp", "self", "あおい", None, -550),  # 1歳6か月ごろ
]


def _ensure_families(municipality: Municipality) -> None:
    today = clock.today()
    now = clock.now()
    children: dict[tuple, Child] = {}
    for email, relationship, nickname, due_offset, birth_offset in _FAMILIES:
        if Subscriber.objects.filter(municipality=municipality, email=email).exists():
            continue
        anchor = (due_offset, birth_offset)
        child = children.get(anchor)
        if child is None:
            child = Child.objects.create(
                municipality=municipality,
                due_date=today + datetime.timedelta(days=due_offset) if due_offset else None,
                birth_date=today + datetime.timedelta(days=birth_offset) if birth_offset else None,
                status=Child.Status.BORN if birth_offset else Child.Status.EXPECTING,
            )
            children[anchor] = child
        subscriber = Subscriber.objects.create(
            municipality=municipality,
            email=email,
            relationship=relationship,
            nickname=nickname,
            consent_at=now,
            consent_policy_version=settings.KIZUNA_PRIVACY_POLICY_VERSION,
            confirmed_at=now,
        )
        Subscription.objects.create(subscriber=subscriber, child=child)


DEMO_IMPORT_FILE = "aoba-mail-readers.csv"
SENT_NOTICE_TITLE = "【デモ】台風の接近に伴う乳幼児健診の中止"
DRAFT_NOTICE_TITLE = "【デモ】断水のお知らせと給水所の場所"


def _demo_import_file() -> bytes:
    today = clock.today()
    due = (today + datetime.timedelta(days=100)).isoformat()
    born = (today - datetime.timedelta(days=200)).isoformat()
    consent = (today - datetime.timedelta(days=300)).isoformat()
    rows = [
        "メールアドレス,続柄,ニックネーム,出産予定日,生年月日,同意日,配信方法,家族ID",
        f"kaede@demo.example.jp,本人,かえで,{due},,{consent},メール,A1",
        f"kaede-partner@demo.example.jp,夫,しゅん,{due},,{consent},メール,A1",
        f"nagi@demo.example.jp,本人,なぎ,,{born},{consent},メール,A2",
    ]
    return ("\r\n".join(rows) + "\r\n").encode("utf-8")


def _ensure_adoption(municipality: Municipality, admin) -> None:
    """A finished import with its readers, an urgent notice sent and one awaiting approval."""
    # Imported here: adoption and urgent notices build on municipalities.
    from adoption import imports
    from adoption.models import ImportBatch
    from urgent_notices import services as urgent
    from urgent_notices.models import UrgentNotice

    editor = get_user_model().objects.get(username=DEMO_EDITOR)
    if not ImportBatch.objects.filter(municipality=municipality, file_name=DEMO_IMPORT_FILE):
        batch = imports.start(
            municipality,
            raw=_demo_import_file(),
            file_name=DEMO_IMPORT_FILE,
            source_name="あおば子育てメール",
            by=editor,
        )
        imports.analyse(batch.pk)
        imports.confirm(batch.pk, by=admin)
        imports.run(batch.pk)
    notices = UrgentNotice.objects.filter(municipality=municipality)
    if not notices.filter(title=SENT_NOTICE_TITLE).exists():
        notice = UrgentNotice.objects.create(
            municipality=municipality,
            created_by=editor,
            title=SENT_NOTICE_TITLE,
            body="{{ nickname }}さん、台風の接近に伴い、明日の乳幼児健診は中止します。"
            "日程は改めてお知らせします。",
        )
        urgent.submit(notice.pk, by=editor)
        urgent.approve(notice.pk, by=admin)
    if not notices.filter(title=DRAFT_NOTICE_TITLE).exists():
        notice = UrgentNotice.objects.create(
            municipality=municipality,
            created_by=editor,
            title=DRAFT_NOTICE_TITLE,
            body="市内の一部で断水しています。給水所は市役所と各地区センターです。",
        )
        urgent.submit(notice.pk, by=editor)


def summary(site_url: str) -> list[str]:
    """What `make run` prints last: where to go, and who to sign in as."""
    accounts = demo_accounts()
    width = max(len(account.username) for account in accounts)
    lines = [
        "Kizuna のデモが動いています。",
        f"  登録ページ（デモ市）: {site_url}/m/{DEMO_SLUG}/",
        f"  届いたメール:         {site_url}/dev/mailbox/",
        f"  管理画面:             {site_url}/admin/",
        f"  運用状況:             {site_url}/ops/",
        "デモ用アカウント（ユーザー名 / パスワード / 役割）:",
    ]
    lines += [
        f"  {account.username:<{width}}  {account.password or '（未作成）'}  {account.role}"
        for account in accounts
    ]
    lines.append(f"パスワードの保存先: {accounts_file()}")
    return lines
