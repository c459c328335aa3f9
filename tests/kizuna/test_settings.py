import email
import email.policy
import os
import subprocess
import sys
from pathlib import Path

from celery import current_app
from django.conf import settings
from django.core.cache import cache

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "a-production-secret-that-is-long-and-random-" + "x7Qz" * 10,
    "ALLOWED_HOSTS": "kizuna.example.jp",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/kizuna",
    "REDIS_URL": "redis://127.0.0.1:6379/15",
}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy_without_warnings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {**PRODUCTION_ENV, "SECRET_KEY": ""}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_japanese_and_tokyo_time():
    assert settings.LANGUAGE_CODE == "ja"
    assert settings.TIME_ZONE == "Asia/Tokyo"
    assert settings.USE_TZ is True


def test_redis_serves_the_cache_and_the_broker():
    assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache")
    cache.set("kizuna-test-key", "こんにちは", 10)
    assert cache.get("kizuna-test-key") == "こんにちは"
    with current_app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1)
        assert connection.transport_cls == "redis"


def test_without_redis_the_broker_needs_no_server():
    code = (
        "from django.conf import settings; "
        "print(settings.CELERY_BROKER_URL, settings.DATABASES['default']['ENGINE'])"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", code],
        cwd=ROOT,
        env={**env, "DEBUG": "true"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["filesystem://", "django.db.backends.sqlite3"]


def test_celery_is_configured_for_crash_safety():
    conf = current_app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1


def test_the_embedded_default_plans_and_sends_on_sqlite(tmp_path):
    """`make run`'s setup: SQLite and the local mailbox, through the real planner."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("REDIS_URL", "DATABASE_URL", "EMAIL_URL", "EMAIL_BACKEND")
    }
    env.update(
        DEBUG="true",
        DATABASE_URL=f"sqlite:///{tmp_path / 'kizuna.sqlite3'}",
        KIZUNA_VAR_DIR=str(tmp_path / "var"),
    )
    today = subprocess.run(
        [sys.executable, "-c", "from kizuna import clock; print(clock.today())"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    for command in (["migrate"], ["load_content"], ["load_demo"]):
        result = subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
    result = subprocess.run(
        [sys.executable, "manage.py", "deliver", "--date", today],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    # The demo runs the daily programme: its pregnancy at 20w0d (mother and partner), the one at
    # 37w1d, its baby on day 3, the baby on day 120 (an every-3-days step, to the mother and the
    # grandmother); and the demo's urgent notice (approved and queued by load_demo) to each of its
    # ten readers.
    assert "計画: 6 件" in result.stdout
    mails = [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for path in (tmp_path / "var" / "mailbox").glob("*.eml")
    ]
    texts = [mail.get_body(preferencelist=("plain",)).get_content() for mail in mails]
    assert sum("台風の接近に伴い" in text for text in texts) == 10
    assert any("妊娠20週" in str(mail["Subject"]) for mail in mails)
    assert "失敗: 0 件" in result.stdout
