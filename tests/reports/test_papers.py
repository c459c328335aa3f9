"""The procurement papers follow the running configuration: change a setting, the paper changes."""

import datetime

import pypdfium2
from django.test import Client
from django.urls import reverse

from municipalities.models import StaffMembership
from reports import papers
from tests.staff.conftest import make_user

from .conftest import at, families


def _rows(table):
    return {row.label: [str(cell) for cell in row.cells] for row in table.rows}


def test_the_security_controls_list_shows_each_setting_and_its_current_value(settings):
    settings.KIZUNA_REQUIRE_2FA = True
    settings.AXES_FAILURE_LIMIT = 7
    settings.AXES_COOLOFF_TIME = datetime.timedelta(minutes=45)
    settings.KIZUNA_RETENTION_DAYS = 60
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.KIZUNA_BACKUP_POLICY = ""
    rows = _rows(papers.controls_table())
    assert rows["職員の二要素認証（TOTP）"][:2] == ["KIZUNA_REQUIRE_2FA", "有効"]
    assert rows["ログイン失敗時のロック（django-axes）"][1] == "7回失敗で45分ロック"
    assert rows["通信の暗号化（TLS・HSTS）"][1] == "HTTPSへの転送 有効、HSTS 31,536,000秒"
    assert rows["保存期間と消去"][1].startswith("配信停止から60日")
    assert rows["操作記録（監査証跡）"][1].startswith("有効、")
    assert rows["バックアップ"][1] == "未設定"

    settings.KIZUNA_REQUIRE_2FA = False
    settings.KIZUNA_BACKUP_POLICY = "毎日暗号化して別の地域に保存、30日保持"
    rows = _rows(papers.controls_table())
    assert rows["職員の二要素認証（TOTP）"][1] == "無効"
    assert rows["バックアップ"][1] == "毎日暗号化して別の地域に保存、30日保持"


def test_the_file_ledger_lists_every_record_about_a_reader_from_the_models(town, now, settings):
    settings.KIZUNA_RETENTION_DAYS = 30
    families(town, 3, registered=at(2026, 5, 1), due=datetime.date(2026, 12, 1))
    ledger = _rows(papers.ledger_table(town))
    assert ledger["個人情報ファイルの名称"] == ["あおば子育てメール 登録者ファイル"]
    assert ledger["記録件数"] == ["3人（消去済みを除く、この書類の作成時点）"]
    assert "配信停止から30日後に連絡先を消去（KIZUNA_RETENTION_DAYS）" in ledger["保存期間"][0]
    assert "password" not in str(ledger).lower()

    items = _rows(papers.items_table())
    assert "メールアドレス" in items["読者"][0] and "メールアドレス" in items["読者"][1]
    assert "出産予定日" in items["妊娠・子ども"][0]
    # Every app that keeps rows about a reader appears, the survey answers among them.
    labels = {str(model._meta.verbose_name) for model in papers.personal_models()}
    assert {"読者", "妊娠・子ども", "フォロー"} <= labels
    assert any("アンケート" in label or "回答" in label for label in labels), labels


def test_staff_download_the_papers_as_pdf_and_it_is_audited(town, now):
    from audit.models import AuditEvent

    user = make_user("aoba-viewer")
    StaffMembership.objects.create(user=user, municipality=town, role="viewer")
    client = Client()
    client.force_login(user)
    response = client.get(reverse("reports:papers_pdf", args=[town.pk]))
    assert response.status_code == 200
    document = pypdfium2.PdfDocument(response.content)
    text = "".join(page.get_textpage().get_text_range() for page in document).replace("\r\n", "")
    assert "個人情報ファイル簿（案）" in text
    assert "セキュリティ対策の一覧" in text
    assert "KIZUNA_REQUIRE_2FA" in text
    assert AuditEvent.objects.filter(action="export", target="reports.papers_pdf").count() == 1
