"""The project served as production serves it, for the page benchmarks: gunicorn's sync workers
with DEBUG off and production settings, and sessions made the way logging in makes them."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

SECRET_KEY = "bench-only-secret-key-not-for-production-use-" + "0123456789" * 3


def production_environment(var_dir: Path) -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "kizuna.settings",
        "DEBUG": "false",
        "SECRET_KEY": SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        # TLS ends at the proxy in front (as in docker-compose.yml); the bench speaks plain HTTP.
        "SECURE_SSL_REDIRECT": "false",
        "LOG_LEVEL": "WARNING",
        "KIZUNA_VAR_DIR": str(var_dir),
    }


def serve(directory: Path, module: str, port: int, workers: int, env: dict) -> subprocess.Popen:
    """gunicorn ``module`` from ``directory``, answering on ``port`` when this returns."""
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            module,
            "--chdir",
            str(directory),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        env={**os.environ, **env},
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            time.sleep(0.3)
    stop(server)
    sys.exit(f"gunicorn did not start on port {port}")


def stop(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)


def session_cookie(**data) -> str:
    """A stored session holding ``data``, as a Cookie header's value (Django set up)."""
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    store.update(data)
    store.create()
    return f"sessionid={store.session_key}"


def operator_cookie(username: str) -> str:
    """An operator signed in with the second factor passed, as django_otp.login records it."""
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.auth.models import Group
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from municipalities.models import OPERATORS_GROUP

    user, _ = get_user_model().objects.get_or_create(username=username, defaults={"is_staff": True})
    user.groups.add(Group.objects.get(name=OPERATORS_GROUP))
    device, _ = TOTPDevice.objects.get_or_create(user=user, confirmed=True, defaults={"name": "b"})
    return session_cookie(
        **{
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
            HASH_SESSION_KEY: user.get_session_auth_hash(),
            DEVICE_ID_SESSION_KEY: device.persistent_id,
        }
    )


def get(port: int, path: str, cookie: str = "") -> tuple[int, float]:
    """One GET over a fresh connection: its status and seconds to the last byte."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    started = time.perf_counter()
    connection.request("GET", path, headers={"Cookie": cookie})
    response = connection.getresponse()
    response.read()
    seconds = time.perf_counter() - started
    connection.close()
    return response.status, seconds
