"""Benchmark: parent and staff pages served as production serves them, beside a bare Django view.

The project runs under gunicorn (production's 3 sync workers, DEBUG off, production settings, PostgreSQL and
Redis); a bare Django site (bench/bare_site.py: startproject's middleware, a small form with a
CSRF token) runs under the same gunicorn in the same run. wrk drives both on loopback: GET and
POST of the signup page, the confirmation page, the manage page (a reader's session) and a staff
page (an operator's session with the second factor passed: the municipality's overview), in a
municipality of 1,000 readers and one of 100,000. Each figure is printed with requests/s,
p50/p95/p99, errors, its ratio to the bare view's and the load average; then the goals of
issue 29, met or NOT MET. A run started while the machine is busy is marked (bench/machine.py).

Run: ``make bench-pages`` (or ``.venv/bin/python bench/pages.py --readers 1000 100000
--duration 30``; ``--project DIR`` serves another checkout's code, e.g. main's for a before).
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import io
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import served  # noqa: E402
from machine import Quietness, uptime_line  # noqa: E402

VAR_DIR = Path(tempfile.mkdtemp(prefix="kizuna-bench-pages-"))
os.environ.update(served.production_environment(VAR_DIR))
# The load comes from one address: its signup limit lifted for the run, as the issue did.
os.environ["KIZUNA_SIGNUPS_PER_IP_PER_HOUR"] = str(10**9)
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kizuna_bench")
os.environ.setdefault("BENCH_REDIS_URL", "redis://127.0.0.1:6379/10")
os.environ["REDIS_URL"] = os.environ["BENCH_REDIS_URL"]

BARE_PORT, PROJECT_PORT = 8931, 8932
GOALS_P95 = {"signup GET": 4.0, "signup POST": 8.0, "confirm GET": 6.0, "manage GET": 6.0}
SIZE_SPREAD = 1.2  # each page's p95 at the largest size within this of the smallest's
P99_AT_MOST_MS = 250.0  # at the highest client count, with no errors
# The web app's workers as the Dockerfile and docker-compose.yml start it.
PRODUCTION_WORKERS = 3

# wrk's Lua: POST bodies made unique per request (a new address each signup), and the
# figures written as one JSON line at the end.
WRK_SCRIPT = """
local counter = 0
local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
wrk.method = "{method}"
wrk.headers["Cookie"] = "{cookie}"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
request = function()
  if wrk.method == "POST" then
    counter = counter + 1
    local body = string.gsub(string.gsub("{body}", "~T~", tostring(tid)), "~N~", tostring(counter))
    return wrk.format(nil, nil, nil, body)
  end
  return wrk.format()
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {{"requests": %d, "duration_us": %d, "p50": %d, "p95": %d, "p99": %d, '
    .. '"errors": %d}}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), e.connect + e.read + e.write + e.status + e.timeout))
end
"""


@dataclass
class Endpoint:
    label: str
    path: str
    method: str = "GET"
    cookie: str = ""
    body: str = ""  # ~R~: new for each wrk run; ~T~, ~N~: wrk's thread and request numbers
    expect: int = 200


@dataclass
class Figure:
    endpoint: str
    size: str
    clients: int
    requests_per_second: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int
    load: float
    bare_p95_ms: float = 0.0

    @property
    def ratio(self) -> float:
        return self.p95_ms / self.bare_p95_ms if self.bare_p95_ms else 0.0


def _django() -> None:
    import django

    django.setup()


def _prepare(sizes: list[int]) -> dict[int, dict]:
    """A municipality per size, its readers filled by SQL; the sessions and links to load."""
    from django.core.management import call_command
    from django.db import connection

    from kizuna import clock
    from municipalities.models import Municipality
    from subscribers import links, services
    from subscribers.models import Subscriber
    from subscribers.views import READER_SESSION_KEY

    call_command("migrate", verbosity=0)
    call_command("load_content", verbosity=0, stdout=io.StringIO())
    call_command("collectstatic", interactive=False, verbosity=0)  # DEBUG off: hashed names
    today = clock.today()

    staff_cookie = served.operator_cookie("bench-pages-operator")
    with connection.cursor() as cursor:  # the bench database's readers are this run's only
        cursor.execute(
            "TRUNCATE delivery_delivery, subscribers_subscription, subscribers_subscriber,"
            " subscribers_child RESTART IDENTITY CASCADE"
        )
    places = {}
    for n, size in enumerate(sizes):
        municipality, _ = Municipality.objects.update_or_create(
            slug=f"pages-{size}",
            defaults={
                "code": f"7{size % 100_000:05d}",  # bench/send.py uses 8…, bench/plan_day.py 9…
                "name": f"ページ市{n}",
                "prefecture": "東京都",
                "service_name": "ページベンチ便り",
                "sender_name": f"ページ市{n}",
                "sender_email": f"kizuna@pages{n}.example.jp",
            },
        )
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO subscribers_subscriber (municipality_id, email, channel, relationship,
                    nickname, language, consent_at, consent_policy_version, confirmed_at,
                    created_at, updated_at, channel_stop_reason, source, unsubscribe_reason,
                    signup_tag)
                SELECT %(m)s, 'reader' || g || '@pages.example.jp', 'email', 'self', '', 'ja',
                       now(), '2026-04', now(), now(), now(), '', 'signup', '', ''
                FROM generate_series(1, %(n)s) g
                """,
                {"m": municipality.pk, "n": size},
            )
            cursor.execute(
                """
                INSERT INTO subscribers_child (municipality_id, due_date, status, loss, created_at)
                SELECT %(m)s, %(today)s::date + (g %% 280), 'expecting', '', now()
                FROM generate_series(1, %(n)s) g
                """,
                {"m": municipality.pk, "n": size, "today": today},
            )
            # Statistics first: without them the pairing below is planned as a nested loop.
            cursor.execute("ANALYZE subscribers_subscriber")
            cursor.execute("ANALYZE subscribers_child")
            cursor.execute(
                """
                INSERT INTO subscribers_subscription (subscriber_id, child_id, created_at)
                SELECT r.id, c.id, now()
                FROM (SELECT id, row_number() OVER (ORDER BY id) k FROM subscribers_subscriber
                      WHERE municipality_id = %(m)s) r
                JOIN (SELECT id, row_number() OVER (ORDER BY id) k FROM subscribers_child
                      WHERE municipality_id = %(m)s) c USING (k)
                """,
                {"m": municipality.pk},
            )
            cursor.execute("ANALYZE subscribers_subscription")

        def registration(email: str) -> services.Registration:
            return services.Registration(
                email=email,
                relationship="self",
                nickname="はな",
                language="ja",
                due_date=today + datetime.timedelta(days=120),
            )

        services.sign_up(municipality, registration("confirming@pages.example.jp"))
        waiting = Subscriber.objects.get(
            municipality=municipality, email="confirming@pages.example.jp"
        )
        confirm_path = urllib.parse.urlsplit(
            links.confirm_url(waiting, waiting.subscriptions.get().child)
        ).path
        services.sign_up(municipality, registration("managing@pages.example.jp"))
        reader = Subscriber.objects.get(
            municipality=municipality, email="managing@pages.example.jp"
        )
        services.confirm(reader.pk, reader.subscriptions.get().child_id)
        places[size] = {
            "slug": municipality.slug,
            "pk": municipality.pk,
            "confirm": confirm_path,
            "reader_cookie": served.session_cookie(**{READER_SESSION_KEY: reader.pk}),
            "staff_cookie": staff_cookie,
            "due": (today + datetime.timedelta(days=120)).isoformat(),
        }
    return places


def _csrf(port: int, path: str) -> tuple[str, str]:
    """A CSRF cookie and the form's token from a GET of the page."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path)
    response = connection.getresponse()
    page = response.read().decode()
    cookie = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie") or "")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert cookie and token, f"no CSRF token on {path} ({response.status})"
    return f"csrftoken={cookie.group(1)}", token.group(1)


def _check(port: int, endpoint: Endpoint) -> None:
    """One request before the load: a page that answers an error is not measured."""
    body = None
    if endpoint.body:
        body = endpoint.body.replace("~R~", "check").replace("~T~", "0").replace("~N~", "0")
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Cookie": endpoint.cookie, "Content-Type": "application/x-www-form-urlencoded"}
    connection.request(endpoint.method, endpoint.path, body=body, headers=headers)
    response = connection.getresponse()
    response.read()
    if response.status != endpoint.expect:
        sys.exit(
            f"{endpoint.label} {endpoint.path} answered {response.status}, not {endpoint.expect}"
        )


def _static_headers(port: int, page: str) -> None:
    """The page's style sheet as a browser gets it: its caching and compression."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", page)
    found = re.search(r'href="(/static/[^"]+\.css)"', connection.getresponse().read().decode())
    assert found, f"no style sheet on {page}"
    connection.request("GET", found.group(1), headers={"Accept-Encoding": "gzip, br"})
    response = connection.getresponse()
    response.read()
    print(
        f"static {found.group(1)}: {response.status}, Cache-Control"
        f" {response.getheader('Cache-Control')!r}, Content-Encoding"
        f" {response.getheader('Content-Encoding')!r}"
    )


def _wrk(port: int, endpoint: Endpoint, clients: int, seconds: float) -> dict:
    script = VAR_DIR / f"wrk-{secrets.token_hex(4)}.lua"
    script.write_text(
        WRK_SCRIPT.replace("{method}", endpoint.method)
        .replace("{cookie}", endpoint.cookie)
        .replace("{body}", endpoint.body.replace("~R~", secrets.token_hex(4)))
        .replace("{{", "{")
        .replace("}}", "}")
    )
    output = subprocess.run(
        [
            "wrk",
            f"-t{min(2, clients)}",
            f"-c{clients}",
            f"-d{int(seconds)}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}{endpoint.path}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(row for row in output.splitlines() if row.startswith("RESULT "))
    return json.loads(line.removeprefix("RESULT "))


def _drain(port: int, endpoint: Endpoint) -> None:
    """Wait until the server has finished what the last figure left it serving.

    wrk stops at its deadline, but gunicorn's sync workers finish the requests they were
    serving (seconds each for the staff overview at 50 clients), which otherwise fall on the
    first seconds of the next figure; one GET returns once a worker is free for it.
    """
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=900)
    connection.request("GET", endpoint.path, headers={"Cookie": endpoint.cookie})
    connection.getresponse().read()
    connection.close()


def _measure(port: int, endpoint: Endpoint, size: str, clients: int, seconds: float) -> Figure:
    _drain(port, endpoint)
    _wrk(port, endpoint, min(clients, 4), 2)  # warm-up: templates, plans, connections
    result = _wrk(port, endpoint, clients, seconds)
    return Figure(
        endpoint=endpoint.label,
        size=size,
        clients=clients,
        requests_per_second=result["requests"] / (result["duration_us"] / 1e6),
        p50_ms=result["p50"] / 1000,
        p95_ms=result["p95"] / 1000,
        p99_ms=result["p99"] / 1000,
        errors=result["errors"],
        load=os.getloadavg()[0],
    )


def _print(figure: Figure, quiet: Quietness) -> None:
    ratio = f"{figure.ratio:6.1f}×" if figure.bare_p95_ms else "   bare"
    print(
        f"{figure.endpoint:<13}{figure.size:>9}{figure.clients:>4}"
        f"{figure.requests_per_second:>9.0f}{figure.p50_ms:>9.1f}{figure.p95_ms:>9.1f}"
        f"{figure.p99_ms:>9.1f}{figure.errors:>7}  {ratio}   load {figure.load:.2f}"
        f"{' BUSY' if quiet.busy else ''}",
        flush=True,
    )


def _goals(figures: list[Figure], sizes: list[int], clients: list[int]) -> bool:
    def find(endpoint: str, size: int, n: int) -> Figure:
        return next(
            f
            for f in figures
            if f.endpoint == endpoint and f.size == f"{size:,}" and f.clients == n
        )

    few, many = min(clients), max(clients)
    every_goal_met = True

    def verdict(ok: bool, text: str) -> None:
        nonlocal every_goal_met
        every_goal_met &= ok
        print(f"  {'met    ' if ok else 'NOT MET'}  {text}")

    print("\ngoals (issue 29), ratios to the bare view in this run:")
    for endpoint, goal in GOALS_P95.items():
        for size in sizes:
            figure = find(endpoint, size, few)
            verdict(
                figure.ratio <= goal,
                f"{endpoint} at {few} clients, {size:,} readers: p95 {figure.p95_ms:.1f} ms ="
                f" {figure.ratio:.1f}× the bare view's (goal ≤ {goal:g}×)",
            )
        small, large = find(endpoint, min(sizes), few), find(endpoint, max(sizes), few)
        verdict(
            large.p95_ms <= small.p95_ms * SIZE_SPREAD,
            f"{endpoint} at {max(sizes):,} readers: p95 {large.p95_ms / small.p95_ms:.2f}× that at"
            f" {min(sizes):,} (goal ≤ {SIZE_SPREAD}×)",
        )
    for figure in figures:
        if figure.clients == many and figure.bare_p95_ms:
            verdict(
                figure.errors == 0 and figure.p99_ms < P99_AT_MOST_MS,
                f"{figure.endpoint} at {many} clients, {figure.size} readers: {figure.errors}"
                f" errors, p99 {figure.p99_ms:.1f} ms (goal 0 and < {P99_AT_MOST_MS:.0f} ms)",
            )
    return every_goal_met


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readers", type=int, nargs="+", default=[1_000, 100_000])
    parser.add_argument("--clients", type=int, nargs="+", default=[10, 50])
    parser.add_argument("--duration", type=float, default=30, help="seconds per figure")
    parser.add_argument(
        "--workers",
        type=int,
        default=PRODUCTION_WORKERS,
        help="gunicorn sync workers (default: production's, %(default)s)",
    )
    parser.add_argument("--project", type=Path, default=ROOT, help="the checkout to serve")
    parser.add_argument("--refuse-busy", action="store_true", help="refuse a busy machine")
    arguments = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install wrk (make bench-pages does)")
    quiet = Quietness(refuse=arguments.refuse_busy or None)
    print(quiet.header(), flush=True)
    _django()
    import redis

    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()  # the broker of this run only
    sizes = sorted(arguments.readers)
    started = time.perf_counter()
    places = _prepare(sizes)
    print(
        f"prepared {', '.join(f'{s:,}' for s in sizes)} readers in"
        f" {time.perf_counter() - started:.0f} s; serving {arguments.project}",
        flush=True,
    )

    servers = [
        served.serve(
            ROOT / "bench",
            "bare_site:application",
            BARE_PORT,
            arguments.workers,
            {"DJANGO_SETTINGS_MODULE": "bare_site"},
        ),
        served.serve(
            arguments.project, "kizuna.wsgi:application", PROJECT_PORT, arguments.workers, {}
        ),
    ]
    figures: list[Figure] = []
    try:
        bare_cookie, bare_token = _csrf(BARE_PORT, "/")
        bare = [
            Endpoint("bare GET", "/"),
            Endpoint(
                "bare POST",
                "/",
                "POST",
                bare_cookie,
                f"csrfmiddlewaretoken={bare_token}&email=b~R~-~T~-~N~@bare.example.jp&name=&consent=on",
                expect=302,
            ),
        ]
        pages: dict[int, list[Endpoint]] = {}
        for size in sizes:
            place = places[size]
            signup = f"/m/{place['slug']}/"
            cookie, token = _csrf(PROJECT_PORT, signup)
            body = (
                f"csrfmiddlewaretoken={token}&email=s~R~-~T~-~N~%40pages.example.jp"
                f"&situation=expecting&due_date={place['due']}&birth_date=&relationship=self"
                "&nickname=&language=ja&consent=on"
            )
            pages[size] = [
                Endpoint("signup GET", signup),
                Endpoint("signup POST", signup, "POST", cookie, body, expect=302),
                Endpoint("confirm GET", place["confirm"]),
                Endpoint("manage GET", "/manage/", cookie=place["reader_cookie"]),
                Endpoint(
                    "staff GET",
                    f"/staff/municipalities/{place['pk']}/",
                    cookie=place["staff_cookie"],
                ),
            ]
        for endpoint in bare:
            _check(BARE_PORT, endpoint)
        for endpoints in pages.values():
            for endpoint in endpoints:
                _check(PROJECT_PORT, endpoint)
        _static_headers(PROJECT_PORT, pages[sizes[0]][0].path)
        print(
            f"\n{arguments.duration:g} s per figure, gunicorn {arguments.workers} sync workers,"
            f" wrk on loopback; ratio = p95 / the bare view's p95 (GET to GET, POST to POST)"
        )
        print(
            f"{'page':<13}{'readers':>9}{'cl':>4}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}"
            f"{'p99 ms':>9}{'errors':>7}  {'× bare':>7}"
        )
        for clients in arguments.clients:
            floor = {}
            for endpoint in bare:
                figure = _measure(BARE_PORT, endpoint, "—", clients, arguments.duration)
                floor[endpoint.method] = figure.p95_ms
                figures.append(figure)
                _print(figure, quiet)
            # Each page at every size back to back, so that the sizes are compared in the same
            # minutes: measured one size after the other, the later size met a machine the
            # bench itself (and anything else) had loaded longer, and looked slower for it.
            for index in range(len(pages[sizes[0]])):
                for size in sizes:
                    endpoint = pages[size][index]
                    figure = _measure(
                        PROJECT_PORT, endpoint, f"{size:,}", clients, arguments.duration
                    )
                    figure.bare_p95_ms = floor[endpoint.method]
                    figures.append(figure)
                    _print(figure, quiet)
    finally:
        for server in servers:
            served.stop(server)
        redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()
        shutil.rmtree(VAR_DIR, ignore_errors=True)
    met = _goals(figures, sizes, arguments.clients)
    print(f"\n{uptime_line()} at the end; {quiet.header()}")
    if quiet.busy:
        print("BUSY: the machine was loaded before the run; these figures are not README figures.")
    sys.exit(0 if met else 1)


if __name__ == "__main__":
    main()
