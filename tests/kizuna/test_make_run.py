"""`make run` as a newcomer meets it: on the port they choose, with only the runtime installed,
the demo accounts printed after everything else has started, and /ops/ counting its worker."""

import http.cookiejar
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_make_run_installs_only_what_running_needs():
    plan = subprocess.run(
        ["make", "-n", "-B", "run", "PORT=8080"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    installs = [line for line in plan.splitlines() if "pip install" in line and " -e " in line]
    assert installs and all("[dev]" not in line for line in installs), installs
    assert "KIZUNA_PORT=8080" in plan
    assert "http://127.0.0.1:8080" in plan


class _Output:
    """Lines a process prints, collected by a thread, waited on by the test."""

    def __init__(self, stream) -> None:
        self.lines: list[str] = []
        self._changed = threading.Condition()
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream) -> None:
        for line in stream:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()

    def wait_for(self, pattern: str, timeout: float) -> int:
        with self._changed:
            found = self._changed.wait_for(
                lambda: any(re.search(pattern, line) for line in self.lines), timeout
            )
            assert found, "\n".join(self.lines[-60:])
            return next(i for i, line in enumerate(self.lines) if re.search(pattern, line))


def _signed_in_opener(base: str, username: str, password: str):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login = opener.open(f"{base}/admin/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login).group(1)
    form = {"csrfmiddlewaretoken": token, "username": username, "password": password}
    request = urllib.request.Request(  # noqa: S310 (http on loopback)
        f"{base}/admin/login/?next=/admin/",
        data=urllib.parse.urlencode({**form, "next": "/admin/"}).encode(),
        headers={"Referer": f"{base}/admin/login/"},
    )
    assert "/admin/login/" not in opener.open(request).geturl()
    return opener


def test_make_run_prints_the_accounts_last_and_the_dashboard_sees_its_worker(tmp_path):
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in ("REDIS_URL", "DATABASE_URL", "EMAIL_URL", "EMAIL_BACKEND", "KIZUNA_REQUIRE_2FA")
    }
    env["KIZUNA_VAR_DIR"] = str(tmp_path / "var")
    run = subprocess.Popen(
        ["make", "run", f"PORT={port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # make, honcho and its processes: stopped together below
    )
    output = _Output(run.stdout)
    try:
        saved_at = output.wait_for(r"パスワードの保存先: ", timeout=300)
        ready = output.wait_for(r"celery@\S+ ready\.", timeout=5)
        beat = output.wait_for(r"beat: Starting\.\.\.", timeout=5)
        assert ready < saved_at and beat < saved_at
        block = output.lines[saved_at - 12 : saved_at + 1]
        assert any(f"{base}/m/demo/" in line for line in block)
        assert any(f"{base}/dev/mailbox/" in line for line in block)
        rows = (re.search(r"\|\s+(admin|demo-[a-z-]+)\s+(\S+)\s", line) for line in block)
        accounts = dict(row.groups() for row in rows if row)
        assert set(accounts) == {
            "admin",
            "demo-editor",
            "demo-viewer",
            "demo-operator",
            "demo-content-editor",
            "demo-health",
        }
        saved = (tmp_path / "var" / "demo-accounts.txt").read_text()
        assert all(f"{name}\t{password}" in saved for name, password in accounts.items())

        opener = _signed_in_opener(base, "demo-operator", accounts["demo-operator"])
        deadline = time.monotonic() + 30
        while True:
            frame = opener.open(f"{base}/ops/workers/").read().decode()
            if "celery@" in frame or time.monotonic() > deadline:
                break
            time.sleep(1)
        assert "celery@" in frame, frame
        assert "動いているワーカーはありません" not in frame
    finally:
        os.killpg(run.pid, signal.SIGINT)
        try:
            run.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait(timeout=10)


def test_the_package_builds_without_a_deprecation_warning(tmp_path):
    """setuptools deprecates a license given as a table; pyproject.toml names it in SPDX."""
    had_build_folder = (ROOT / "build").exists()
    try:
        build = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(tmp_path), str(ROOT)],
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
        )
    finally:
        if not had_build_folder:  # setuptools builds in the source tree
            shutil.rmtree(ROOT / "build", ignore_errors=True)
    assert build.returncode == 0, build.stderr
    assert "deprecat" not in (build.stdout + build.stderr).lower(), build.stderr
    assert list(tmp_path.glob("kizuna-*.whl"))
