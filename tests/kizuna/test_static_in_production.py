"""With DEBUG off, pages work whether or not `collectstatic` has run (outside Docker nobody may
have run it), and scripts/start-web.sh runs it before gunicorn."""

import json
import os
import subprocess
import sys

import pytest
from django.db import connection

from tests.kizuna.test_settings import PRODUCTION_ENV, ROOT

pytestmark = pytest.mark.django_db

PAGE_AND_ITS_CSS = """
import json, re
from django.test import Client
client = Client(HTTP_HOST="kizuna.example.jp")
page = client.get("/", secure=True)
css = re.search(r'/static/[^"]+\\.css', page.content.decode())
style = client.get(css.group(0), secure=True) if css else None
print(json.dumps({"page": page.status_code, "css": css and css.group(0),
                  "style": style and style.status_code}))
"""


def _production(var_dir, *args: str) -> subprocess.CompletedProcess:
    database = connection.settings_dict
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY")},
        **PRODUCTION_ENV,
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
        ),
        "KIZUNA_VAR_DIR": str(var_dir),
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def _page(var_dir) -> dict:
    result = _production(var_dir, "shell", "-c", PAGE_AND_ITS_CSS)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_without_collectstatic_pages_and_their_styles_are_served(tmp_path):
    answer = _page(tmp_path)
    assert answer["page"] == 200
    assert answer["css"] and answer["style"] == 200


def test_after_collectstatic_the_hashed_names_are_served(tmp_path):
    collected = _production(tmp_path, "collectstatic", "--noinput", "-v", "0")
    assert collected.returncode == 0, collected.stderr[-2000:]
    assert (tmp_path / "static" / "staticfiles.json").exists()
    answer = _page(tmp_path)
    assert answer["page"] == 200 and answer["style"] == 200
    name = answer["css"].rsplit("/", 1)[-1]
    assert len(name.split(".")) == 3  # kizuna.<hash>.css


def test_the_start_script_collects_static_files_before_gunicorn():
    script = (ROOT / "scripts" / "start-web.sh").read_text()
    assert script.index("collectstatic --noinput") < script.index("exec gunicorn")
