"""Demo data for `make run`: one municipality, a superuser, a few families at different stages
and two years of reader surveys.

Idempotent: running it again changes nothing and prints the same login.
"""

import datetime
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from kizuna import clock
from municipalities.models import ConsultationContact, Municipality
from subscribers.models import Child, Subscriber, Subscription

DEMO_SLUG = "demo"
DEMO_ADMIN = "admin"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    created: bool


def _demo_password() -> str:
    path = Path(settings.VAR_DIR) / "demo-admin-password"
    if not path.exists():
        path.parent.mkdir(exist_ok=True)
        path.write_text(secrets.token_urlsafe(12))
        path.chmod(0o600)
    return path.read_text().strip()


@transaction.atomic
def load_demo() -> tuple[Municipality, DemoLogin]:
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

    login = _ensure_superuser()
    _ensure_families(municipality)
    # Imported here: surveys builds on municipalities, not the other way round.
    from surveys.demo import ensure_demo_surveys

    ensure_demo_surveys(municipality)
    _ensure_adoption(municipality, get_user_model().objects.get(username=DEMO_ADMIN))
    return municipality, login


def _ensure_superuser() -> DemoLogin:
    password = _demo_password()
    user_model = get_user_model()
    user = user_model.objects.filter(username=DEMO_ADMIN).first()
    if user is None:
        user_model.objects.create_superuser(DEMO_ADMIN, "admin@demo.example.jp", password)
        return DemoLogin(DEMO_ADMIN, password, created=True)
    return DemoLogin(DEMO_ADMIN, password, created=False)


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


DEMO_EDITOR = "demo-editor"
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
    from municipalities.models import StaffMembership
    from urgent_notices import services as urgent
    from urgent_notices.models import UrgentNotice

    editor, created = get_user_model().objects.get_or_create(
        username=DEMO_EDITOR, defaults={"email": "editor@demo.example.jp", "is_staff": True}
    )
    if created:
        editor.set_unusable_password()
        editor.save(update_fields=["password"])
    StaffMembership.objects.get_or_create(
        user=editor, municipality=municipality, defaults={"role": "editor"}
    )
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
