"""The fault campaign: seeded, randomized runs of real workers while everything goes wrong.

Each run builds a small world (two municipalities whose delivery times sit on the 00:00 UTC and
00:00 JST boundaries, email and LINE readers at every stage, partners) on a PostgreSQL and a Redis
of its own, starts real Celery workers whose clocks run at a simulated time, and then mixes:

- two beats at once (two ticks published together) when sending starts and when beat returns;
- ``kill -9`` of a worker while it holds a batch;
- Redis emptied (FLUSHALL) and restarted;
- PostgreSQL restarted (``pg_ctl restart -m fast``) while workers are sending;
- the ESP and LINE accepting a request and then answering 5xx or not answering at all (the
  message did arrive), plus plain 5xx, timeouts and 429 with ``Retry-After``;
- beat (and the workers) down for 48 hours of simulated time or more, a birth and a loss
  reported meanwhile, then back: the missed days are caught up;
- a re-run of a past date (``manage.py deliver --date``);
- readers switching channel while their day is being sent, by mail to LINE and back;
- LINE redelivering an old block (same ``webhookEventId``, an older time) after the reader
  blocked and followed again, with signed webhooks to the real view.

Each run is judged by what the fakes received, per (recipient, message), against what the
stage calendar says is due: every due message exactly once, none missing, nothing after a loss,
no pregnancy message after a reported birth. A reader who switched channel counts as one reader:
what reached either of their addresses. Mail counts once per Message-ID (what a mailbox
shows); every extra hand-over of the same Message-ID to the ESP is reported.

Run: ``python -m tests.delivery.campaign --runs 20 --seed 1`` (``make fault-campaign``).
``tests/delivery/test_fault_campaign.py`` runs 3 of them inside ``make test``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import glob
import hashlib
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINE_TOKEN = "campaign-line-token"
ESP_TOKEN = "campaign-esp-token"
LINE_SECRET = "campaign-line-secret"
SLUGS = {"campaign-utc": datetime.time(9, 0), "campaign-jst": datetime.time(0, 0)}
TOKYO = datetime.timezone(datetime.timedelta(hours=9))  # Asia/Tokyo has no DST
MARKER = re.compile(r"(?:pregnancy|child):(?:day|week|month):\d+|special:[a-z-]+")
QUIET_TIMEOUT = 150.0
BEFORE_DELIVERY_TIME = datetime.timedelta(minutes=10)

# What the workers run with: short leases, small batches and quick retries, so a run takes
# seconds; the fakes' own timeouts are shorter than a hang.
WORKER_SETTINGS = {
    "DEBUG": "true",
    "LOG_LEVEL": "WARNING",
    "KIZUNA_CLAIM_LEASE_SECONDS": "3",
    "KIZUNA_DISPATCH_BATCH_SIZE": "5",
    "KIZUNA_RETRY_BACKOFF_SECONDS": "1",
    "KIZUNA_CATCH_UP_DAYS": "3",
    "LINE_TIMEOUT_SECONDS": "1",
    "EMAIL_BACKEND": "anymail.backends.postmark.EmailBackend",
    "ANYMAIL_POSTMARK_SERVER_TOKEN": ESP_TOKEN,
    "ANYMAIL_REQUESTS_TIMEOUT": "1",
}


def _stages():
    from content.stages import Stage, Track, Unit

    stages = [Stage(Track.PREGNANCY, Unit.DAY, d) for d in range(28, 294)]
    stages += [Stage(Track.CHILD, Unit.DAY, d) for d in range(101)]
    stages += [Stage(Track.CHILD, Unit.WEEK, w) for w in range(15, 53)]
    stages += [Stage(Track.CHILD, Unit.MONTH, m) for m in range(12, 37)]
    return stages


# ---------------------------------------------------------------- services of our own


class Postgres:
    """A throwaway PostgreSQL cluster on a spare port, so restarting it disturbs no one."""

    def __init__(self, directory: Path, extra_options: str = "") -> None:
        from tests.fakes import free_port

        self.extra_options = extra_options  # later -c settings override the defaults below
        self.directory = directory / "pgdata"
        self.socket_dir = directory
        self.port = free_port()
        candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
        found = shutil.which("pg_ctl")
        self.bin = Path(candidates[-1]) if candidates else Path(found).parent if found else None
        if self.bin is None:
            raise SystemExit("PostgreSQL's server binaries are missing: apt-get install postgresql")

    def _run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        return subprocess.run(
            [*prefix, *command], capture_output=True, text=True, check=check, timeout=120
        )

    def init(self) -> None:
        if os.geteuid() == 0:  # initdb refuses root: the cluster belongs to postgres
            shutil.chown(self.socket_dir, "postgres")
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.directory),
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
        )
        self.start()

    def _options(self) -> str:
        return (
            f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 -c fsync=off"
            " -c synchronous_commit=off -c full_page_writes=off -c max_connections=60 "
            + self.extra_options
        )

    def start(self) -> None:
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.directory),
            "-o",
            self._options(),
            "-l",
            str(self.socket_dir / "postgres.log"),
            "-w",
            "start",
        )

    def restart(self) -> None:
        # -l keeps the server's output off our pipe, or pg_ctl's caller would wait forever.
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.directory),
            "-o",
            self._options(),
            "-l",
            str(self.socket_dir / "postgres.log"),
            "-m",
            "fast",
            "-w",
            "restart",
        )

    def stop(self) -> None:
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.directory),
            "-m",
            "immediate",
            "-w",
            "stop",
            check=False,
        )

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def sql(self, statement: str) -> None:
        subprocess.run(
            [
                str(self.bin / "psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-d",
                "postgres",
                "-v",
                "ON_ERROR_STOP=1",
                "-qc",
                statement,
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )


class Redis:
    """A Redis of our own on a spare port: FLUSHALL and restarts touch nobody else's."""

    def __init__(self) -> None:
        from tests.fakes import free_port

        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        server = shutil.which("redis-server")
        if not server:
            raise SystemExit("redis-server is missing: apt-get install redis-server")
        self.process = subprocess.Popen(
            [
                server,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            if self._cli("ping") == "PONG":
                return
            time.sleep(0.05)
        raise RuntimeError("redis did not start")

    def _cli(self, *command: str) -> str:
        done = subprocess.run(
            ["redis-cli", "-p", str(self.port), *command], capture_output=True, text=True
        )
        return done.stdout.strip()

    def flush_and_restart(self) -> None:
        self._cli("FLUSHALL")
        self.stop()
        self.start()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


# ---------------------------------------------------------------- the simulated clock


class SimulatedClock:
    """Simulated time runs with real time from a chosen start; an outage moves it on."""

    def __init__(self, start: datetime.datetime) -> None:
        self.offset = start.timestamp() - time.time()

    def now(self) -> datetime.datetime:
        return datetime.datetime.fromtimestamp(time.time() + self.offset, TOKYO)

    def jump_to(self, moment: datetime.datetime) -> None:
        self.offset = moment.timestamp() - time.time()

    def travel(self):
        import time_machine

        return time_machine.travel(self.now(), tick=True)


def _near_a_delivery_time(moment: datetime.datetime) -> bool:
    """Within ten minutes before a delivery time, or before midnight: a run lasts less."""
    for delivery_time in [*SLUGS.values(), datetime.time(0, 0)]:
        at = datetime.datetime.combine(moment.date(), delivery_time, tzinfo=TOKYO)
        for day in (0, 1):
            start = at + datetime.timedelta(days=day)
            if start - BEFORE_DELIVERY_TIME <= moment < start:
                return True
    return False


def _moment(rng: random.Random, day: datetime.date, after: datetime.datetime | None = None):
    """A moment on ``day``: just past 00:00 UTC (09:00 JST), just past 00:00 JST, or any."""
    while True:
        kind = rng.choice(["utc-midnight", "jst-midnight", "any"])
        if kind == "utc-midnight":
            at = datetime.time(9, 0, rng.randrange(2, 50))
        elif kind == "jst-midnight":
            at = datetime.time(0, 0, rng.randrange(2, 50))
        else:
            minutes = rng.randrange(9 * 60 + 15, 23 * 60 + 30)
            at = datetime.time(minutes // 60, minutes % 60, rng.randrange(60))
        moment = datetime.datetime.combine(day, at, tzinfo=TOKYO)
        if not _near_a_delivery_time(moment) and (after is None or moment >= after):
            return moment, kind


# ---------------------------------------------------------------- the world of one run


@dataclass
class Reader:
    recipient: str  # email address or LINE user id
    channel: str
    pk: int = 0
    # A reader who switches channel mid-run: their other address, and the phase of the switch.
    other: str = ""
    switch_phase: str = ""


@dataclass
class Family:
    municipality: str
    readers: list[Reader]
    due: datetime.date | None = None
    birth: datetime.date | None = None
    event: str = ""  # "birth" or "loss", reported during the outage
    child_pk: int = 0


@dataclass
class Plan:
    """One run's random choices, all drawn from its seed."""

    seed: int
    start: datetime.datetime
    start_kind: str
    resume: datetime.datetime
    resume_kind: str
    families: list[Family]
    kill_phases: list[str]
    postgres_phase: str
    redis_phase: str
    fault_delays: dict[str, float]
    line_faults: list[str]
    esp_faults: list[str]
    rerun_back: int
    switch_delays: dict[str, float] = field(default_factory=dict)
    rejoiner: Reader | None = None  # blocks, follows again, then LINE redelivers the block


def make_plan(seed: int, families: int) -> Plan:
    rng = random.Random(seed)
    day0 = datetime.date(2027, 1, 1) + datetime.timedelta(days=rng.randrange(400))
    start, start_kind = _moment(rng, day0)
    resume_day = day0 + datetime.timedelta(days=rng.choice([2, 3]))
    resume, resume_kind = _moment(rng, resume_day, after=start + datetime.timedelta(hours=48))
    # Two of the five gestational ages are late enough (23 weeks on) for a birth to be reported.
    gestation = rng.sample(range(40, 160), 3) + rng.sample(range(160, 250), 2)
    ages = rng.sample(range(0, 90), 5)
    world = []
    for n in range(families):
        municipality = list(SLUGS)[n % 2]
        channel = "line" if rng.random() < 0.45 else "email"
        readers = [_reader(channel, f"{seed}-{n}-0")]
        if rng.random() < 0.25:
            readers.append(_reader(rng.choice(["line", "email"]), f"{seed}-{n}-1"))
        if rng.random() < 0.55:
            due = day0 + datetime.timedelta(days=280 - rng.choice(gestation))
            world.append(Family(municipality, readers, due=due))
        else:
            birth = day0 - datetime.timedelta(days=rng.choice(ages))
            world.append(Family(municipality, readers, birth=birth))
    late = [f for f in world if f.due and (f.due - day0).days <= 280 - 160]
    for family in rng.sample(late, min(2, len(late))):
        family.event = "birth"
    family = rng.choice([f for f in world if f.due and not f.event])
    family.event = "loss"
    faults = ["accept-500", "accept-hang", "500", "hang", "429"]
    # Channel switches, both ways, in both phases: the first reader of a few families.
    firsts = [f.readers[0] for f in world]
    switchers = rng.sample(firsts, min(4, len(firsts)))
    for number, reader in enumerate(switchers):
        reader.switch_phase = ["start", "resume"][number % 2]
        reader.other = _other_address(reader)
    on_line = [r for f in world if not f.event for r in f.readers if r.channel == "line"]
    on_line = [r for r in on_line if not r.other]
    plan_faults = (_fault_plan(rng, faults), _fault_plan(rng, faults))
    return Plan(
        seed=seed,
        start=start,
        start_kind=start_kind,
        resume=resume,
        resume_kind=resume_kind,
        families=world,
        kill_phases=sorted({"resume", rng.choice(["start", "resume"])}),
        postgres_phase=rng.choice(["start", "resume"]),
        redis_phase=rng.choice(["start", "resume"]),
        fault_delays={name: rng.uniform(0.2, 2.5) for name in ("postgres", "redis")},
        line_faults=plan_faults[0],
        esp_faults=plan_faults[1],
        rerun_back=rng.choice([1, 2]),
        switch_delays={phase: rng.uniform(0.0, 2.0) for phase in ("start", "resume")},
        rejoiner=rng.choice(on_line) if on_line else None,
    )


def _reader(channel: str, tag: str) -> Reader:
    if channel == "line":
        digits = "".join(f"{ord(c):02x}" for c in tag)[:32].ljust(32, "0")
        return Reader("U" + digits, "line")
    return Reader(f"reader-{tag}@example.jp", "email")


def _other_address(reader: Reader) -> str:
    """The address a reader switching channel has on the other one."""
    if reader.channel == "line":
        return f"switched-{reader.recipient.lower()}@example.jp"
    return "U" + hashlib.md5(reader.recipient.encode()).hexdigest()  # noqa: S324 (an id)


def _fault_plan(rng: random.Random, faults: list[str]) -> list[str]:
    """Every fault at least once, at random places among requests that go through."""
    plan = ["ok"] * rng.randrange(2, 12)
    for fault in rng.sample(faults, len(faults)) + rng.choices(faults, k=rng.randrange(3)):
        plan.insert(rng.randrange(len(plan) + 1), fault)
    return plan


# ---------------------------------------------------------------- what is due (the oracle)


def planned_days(plan: Plan, municipality: str) -> tuple[set, set]:
    """Days planned before the outage, and after beat came back (catching up)."""
    delivery_time = SLUGS[municipality]
    day0 = plan.start.date()
    before = {day0} if plan.start.time() >= delivery_time else set()
    after = set()
    day = day0
    while day <= plan.resume.date():
        if day not in before and (day < plan.resume.date() or plan.resume.time() >= delivery_time):
            after.add(day)
        day += datetime.timedelta(days=1)
    return before, after


def expected(plan: Plan) -> Counter:
    """(recipient, message) -> 1 for everything due, from the stage calendar alone."""
    from content.stages import Track, stage_start

    stages = _stages()
    due = Counter()
    event_day = plan.start.date() + datetime.timedelta(days=1)
    for family in plan.families:
        before, after = planned_days(plan, family.municipality)
        for day in sorted(before | after):
            # The birth and the loss are reported during the outage, before any day after it.
            status = "expecting" if family.due else "born"
            if day in after and family.event == "birth":
                status = "born"
            if day in after and family.event == "loss":
                status = "lost"
            if status == "lost":
                continue
            if status == "expecting":
                found = [s for s in stages if s.track == Track.PREGNANCY]
                anchor = family.due
            else:
                found = [s for s in stages if s.track == Track.CHILD]
                anchor = family.birth or event_day
            for stage in found:
                if stage_start(stage, anchor) == day:
                    for reader in family.readers:
                        due[(reader.recipient, stage.key)] += 1
        if family.event:
            for reader in family.readers:
                due[(reader.recipient, f"special:{family.event}")] += 1
    return due


# ---------------------------------------------------------------- one run


@dataclass
class RunReport:
    seed: int
    passed: bool = False
    seconds: float = 0.0
    expected: int = 0
    line_received: int = 0
    esp_handed_over: int = 0
    esp_resent_same_id: int = 0
    kills_mid_batch: int = 0
    in_flight_at_kill: int = 0
    postgres_restarts: int = 0
    redis_restarts: int = 0
    double_beats: int = 0
    switches: Counter = field(default_factory=Counter)  # "email→line", "line→email"
    redelivered: int = 0  # webhook events LINE sent again
    provider_faults: Counter = field(default_factory=Counter)
    rerun: str = ""
    problems: list[str] = field(default_factory=list)
    start: str = ""
    resume: str = ""

    def line(self) -> str:
        faults = ", ".join(f"{k}×{v}" for k, v in sorted(self.provider_faults.items()))
        switches = ", ".join(f"{k}×{v}" for k, v in sorted(self.switches.items()))
        verdict = "PASS" if self.passed else "FAIL"
        return (
            f"run seed={self.seed} {verdict} in {self.seconds:.0f}s: {self.expected} due,"
            f" LINE {self.line_received} received, ESP {self.esp_handed_over} handed over"
            f" ({self.esp_resent_same_id} again under the same Message-ID);"
            f" start {self.start}, back {self.resume};"
            f" kill -9 mid-batch ×{self.kills_mid_batch} ({self.in_flight_at_kill} in flight),"
            f" PostgreSQL restart ×{self.postgres_restarts}, Redis FLUSHALL+restart"
            f" ×{self.redis_restarts}, two beats at once ×{self.double_beats},"
            f" provider faults [{faults}], re-run of {self.rerun},"
            f" channel switches [{switches}], redelivered LINE events ×{self.redelivered}"
        )


class Run:
    def __init__(self, plan: Plan, postgres: Postgres, redis: Redis, workdir: Path) -> None:
        from tests.fakes import FakeLine, FakePostmark

        self.plan = plan
        self.postgres = postgres
        self.redis = redis
        self.database = f"campaign_{plan.seed}"
        self.workdir = workdir
        self.clock = SimulatedClock(plan.start)
        self.line = FakeLine(tokens={LINE_TOKEN})
        self.esp = FakePostmark(token=ESP_TOKEN)
        for fake in (self.line, self.esp):
            fake.faults.delay_seconds = 0.03  # a real round trip, so workers are caught mid-batch
            fake.faults.hang_seconds = 1.5  # longer than the senders' 1 s timeout
        self.line.faults.plan = list(plan.line_faults)
        self.esp.faults.plan = list(plan.esp_faults)
        self.workers: list[subprocess.Popen] = []
        self.report = RunReport(plan.seed)
        self.report.start = f"{plan.start:%Y-%m-%d %H:%M:%S} JST ({plan.start_kind})"
        self.report.resume = f"{plan.resume:%Y-%m-%d %H:%M:%S} JST ({plan.resume_kind})"

    # -- environment

    def environment(self) -> dict[str, str]:
        environment = {
            **os.environ,
            **WORKER_SETTINGS,
            "DATABASE_URL": self.postgres.url(self.database),
            "REDIS_URL": self.redis.url,
            "LINE_API_BASE_URL": self.line.url,
            "ANYMAIL_POSTMARK_API_URL": self.esp.url + "/",
            "CAMPAIGN_OFFSET": str(self.clock.offset),
        }
        for slug in SLUGS:
            suffix = slug.upper().replace("-", "_")
            environment[f"LINE_CHANNEL_ACCESS_TOKEN_{suffix}"] = LINE_TOKEN
            environment[f"LINE_CHANNEL_SECRET_{suffix}"] = LINE_SECRET
        return environment

    def start_worker(self, name: str) -> None:
        log = open(self.workdir / f"{self.database}-{name}.log", "ab")  # noqa: SIM115
        self.workers.append(
            subprocess.Popen(
                [sys.executable, "-m", "tests.delivery.campaign", "worker", name],
                cwd=ROOT,
                env=self.environment(),
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        )

    def kill_workers(self) -> None:
        for worker in self.workers:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait()
        self.workers = []

    # -- Django in this process (setup, events, judging)

    def _use_database(self) -> None:
        from django.db import connections

        connections.close_all()
        connections["default"].settings_dict["NAME"] = self.database

    def _query(self, function, attempts: int = 40):
        """Ask the database, riding out a restart of PostgreSQL."""
        from django.db import InterfaceError, OperationalError, connections

        for attempt in range(attempts):
            try:
                return function()
            except (OperationalError, InterfaceError):
                connections.close_all()
                if attempt == attempts - 1:
                    raise
                time.sleep(0.25)
        return None

    def build_world(self) -> None:
        from django.db import connection

        from delivery.models import PlanRun
        from municipalities.models import Municipality
        from subscribers.models import Child, Subscriber, Subscription
        from tests.factories import MunicipalityFactory

        self.postgres.sql(f"CREATE DATABASE {self.database} TEMPLATE campaign_template")
        self._use_database()
        long_ago = self.plan.start - datetime.timedelta(days=60)
        with self.clock.travel():
            municipalities = {}
            for slug, delivery_time in SLUGS.items():
                municipalities[slug] = MunicipalityFactory(
                    slug=slug, delivery_time=delivery_time, line_enabled=True
                )
            Municipality.objects.update(created_at=long_ago)
            day0 = self.plan.start.date()
            PlanRun.objects.bulk_create(
                PlanRun(
                    municipality=m,
                    day=day0 - datetime.timedelta(days=back),
                    started_at=long_ago,
                    finished_at=long_ago,
                )
                for m in municipalities.values()
                for back in range(1, 5)
            )
            for family in self.plan.families:
                municipality = municipalities[family.municipality]
                child = Child.objects.create(
                    municipality=municipality,
                    due_date=family.due,
                    birth_date=family.birth,
                    status="expecting" if family.due else "born",
                )
                family.child_pk = child.pk
                for number, reader in enumerate(family.readers):
                    subscriber = Subscriber.objects.create(
                        municipality=municipality,
                        email=reader.recipient
                        if reader.channel == "email"
                        else reader.other or None,
                        line_user_id=(
                            reader.recipient if reader.channel == "line" else reader.other or None
                        ),
                        channel=reader.channel,
                        relationship="self" if number == 0 else "partner",
                        nickname="はな",
                        consent_at=long_ago,
                        consent_policy_version="campaign",
                        confirmed_at=long_ago,
                    )
                    reader.pk = subscriber.pk
                    Subscription.objects.create(subscriber=subscriber, child=child)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    def _story(self, recipient: str) -> list:
        """What the database says about a recipient's deliveries, to explain a failed run."""
        return self._query(lambda: _story_rows(recipient))

    def report_events(self) -> None:
        """During the outage, a day after the start: births and a loss are reported."""
        import time_machine

        from subscribers import services

        moment = self.plan.start + datetime.timedelta(days=1)
        with time_machine.travel(moment, tick=True):
            for family in self.plan.families:
                if family.event == "birth":
                    services.report_birth(family.child_pk, moment.date())
                elif family.event == "loss":
                    services.report_loss(family.child_pk, "miscarriage")

    def unfinished(self) -> int:
        from delivery.models import Delivery

        return self._query(
            lambda: Delivery.objects.filter(status__in=["planned", "sending"]).count()
        )

    def held_by(self, worker: subprocess.Popen) -> int:
        from delivery.models import Delivery

        return self._query(
            lambda: Delivery.objects.filter(
                status="sending", claimed_by__endswith=f":{worker.pid}"
            ).count()
        )

    # -- beat

    def beat(self, times: int = 1) -> None:
        """What beat publishes each minute, ``times`` at once (two beats running)."""
        from delivery.tasks import tick

        def publish():
            with contextlib.suppress(Exception):  # Redis may be restarting: the next beat goes
                tick.apply_async(retry=True, retry_policy={"max_retries": 5})

        threads = [threading.Thread(target=publish) for _ in range(times)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        if times > 1:
            self.report.double_beats += 1

    def last_tick(self) -> datetime.datetime | None:
        from delivery import heartbeats

        heartbeat = self._query(lambda: heartbeats.last_beat(heartbeats.TICK))
        return heartbeat.at if heartbeat else None

    def drive_until_quiet(self, timeout: float = QUIET_TIMEOUT) -> bool:
        """Beat until nothing is left to send and a whole tick since then found nothing new."""
        deadline = time.monotonic() + timeout
        empty_since = None
        while time.monotonic() < deadline:
            self.beat()
            time.sleep(0.7)
            if self.unfinished():
                empty_since = None
                continue
            if empty_since is None:
                empty_since = self.clock.now()
                continue
            last_tick = self.last_tick()
            if last_tick is not None and last_tick > empty_since and not self.unfinished():
                return True
        return False

    # -- faults

    def kill_mid_batch(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            for worker in list(self.workers):
                held = self.held_by(worker)
                if held and worker.poll() is None:
                    os.killpg(worker.pid, signal.SIGKILL)
                    worker.wait()
                    self.workers.remove(worker)
                    self.report.kills_mid_batch += 1
                    self.report.in_flight_at_kill += held
                    self.start_worker(f"w{len(self.workers) + 10}-{time.monotonic_ns()}")
                    return
            time.sleep(0.01)
        self.report.problems.append("no worker was caught holding a batch to kill")

    def phase(self, name: str) -> None:
        """Sending, with this phase's faults at their random moments."""
        self.start_worker(f"{name}-1")
        self.start_worker(f"{name}-2")
        self.beat(times=2)
        faults = []
        if name in self.plan.kill_phases:
            faults.append((0.0, self.kill_mid_batch))
        if self.plan.postgres_phase == name:
            faults.append((self.plan.fault_delays["postgres"], self.restart_postgres))
        if self.plan.redis_phase == name:
            faults.append((self.plan.fault_delays["redis"], self.restart_redis))
        faults.append((self.plan.switch_delays[name], lambda: self.switch_channels(name)))
        started = time.monotonic()
        for delay, fault in sorted(faults, key=lambda item: item[0]):
            time.sleep(max(0.0, delay - (time.monotonic() - started)))
            fault()
            self.beat()
        if not self.drive_until_quiet():
            self.report.problems.append(f"{name}: still {self.unfinished()} unsent at the end")

    def switch_channels(self, phase: str) -> None:
        """Readers change channel on their manage page while their day is being sent."""
        from django.db import transaction

        from subscribers import services
        from subscribers.models import Subscriber

        for family in self.plan.families:
            for reader in family.readers:
                if reader.switch_phase != phase:
                    continue
                to = "line" if reader.channel == "email" else "email"

                def switch(reader=reader, to=to) -> None:
                    with self.clock.travel(), transaction.atomic():
                        subscriber = Subscriber.objects.select_for_update().get(pk=reader.pk)
                        services.update_settings(
                            subscriber,
                            nickname=subscriber.nickname,
                            language=subscriber.language,
                            channel=to,
                        )

                self._query(switch)
                self.report.switches[f"{reader.channel}→{to}"] += 1

    def redeliver_a_block(self) -> None:
        """A LINE reader blocks and follows again; then LINE redelivers the block (same event
        id, its older time). Signed webhooks through the real view, during the outage."""
        from django.test import Client

        from tests import line_webhooks

        reader = self.plan.rejoiner
        if reader is None:
            return
        family = next(f for f in self.plan.families if reader in f.readers)
        at = int((self.plan.start + datetime.timedelta(days=1, hours=2)).timestamp() * 1000)
        block = line_webhooks.unfollow(reader.recipient, at=at)
        client = Client(HTTP_HOST="localhost")
        for events in (
            [block],
            [line_webhooks.follow(reader.recipient, at=at + 60_000)],
            [line_webhooks.redelivered(block)],
        ):
            with self.clock.travel():
                answer = line_webhooks.post(
                    client, events, secret=LINE_SECRET, slug=family.municipality
                )
            if answer.status_code != 200:
                self.report.problems.append(f"LINE webhook answered {answer.status_code}")
        self.report.redelivered += 1

    def restart_postgres(self) -> None:
        from django.db import connections

        self.postgres.restart()
        connections.close_all()
        self.report.postgres_restarts += 1

    def restart_redis(self) -> None:
        self.redis.flush_and_restart()
        self.report.redis_restarts += 1

    def rerun_past_date(self) -> None:
        day = self.clock.now().date() - datetime.timedelta(days=self.plan.rerun_back)
        self.report.rerun = str(day)
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "tests.delivery.campaign",
                "manage",
                "deliver",
                "--date",
                str(day),
            ],
            cwd=ROOT,
            env={**self.environment(), "CAMPAIGN_OFFSET": str(self.clock.offset)},
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode != 0:
            self.report.problems.append(f"deliver --date {day} failed: {done.stderr[-500:]}")

    # -- the run

    def execute(self) -> RunReport:
        started = time.monotonic()
        with self.line, self.esp:
            try:
                self.build_world()
                self.phase("start")
                self.kill_workers()  # beat and the workers go down …
                self.report_events()  # … a day later a birth and a loss are reported …
                self.redeliver_a_block()  # … a reader blocks, follows again, LINE redelivers …
                self.clock.jump_to(self.plan.resume)  # … and they come back 48 h or more later
                self.phase("resume")
                self.rerun_past_date()
                if not self.drive_until_quiet():
                    self.report.problems.append("unsent deliveries after the re-run")
            finally:
                self.kill_workers()
            self.judge()
        self.report.seconds = time.monotonic() - started
        return self.report

    def judge(self) -> None:
        from delivery.models import Delivery

        due = expected(self.plan)
        self.report.expected = sum(due.values())
        received = Counter()
        # A reader who switched channel is one reader: what reached either address counts.
        same_reader = {
            reader.other: reader.recipient
            for family in self.plan.families
            for reader in family.readers
            if reader.other
        }
        for user, text in self.line.received:
            for marker in _markers(text):  # a day's one message carries every part
                received[(same_reader.get(user, user), marker)] += 1
        self.report.line_received = len(self.line.received)
        ids_by_message: dict[tuple, set] = {}
        for mail in self.esp.received:
            for marker in _markers(mail["Subject"] + "\n" + (mail.get("TextBody") or "")):
                key = (same_reader.get(mail["To"], mail["To"]), marker)
                ids_by_message.setdefault(key, set()).add(self.esp.headers_of(mail)["Message-ID"])
            self.report.esp_handed_over += 1
        for key, message_ids in ids_by_message.items():
            received[key] += len(message_ids)  # a mailbox shows one message per Message-ID
        self.report.esp_resent_same_id = self.report.esp_handed_over - sum(
            len(ids) for ids in ids_by_message.values()
        )
        self.report.provider_faults = Counter(
            fault for fault in self.plan.line_faults + self.plan.esp_faults if fault != "ok"
        ) - Counter(fault for fault in self.line.faults.plan + self.esp.faults.plan)
        missing = sorted(key for key in due if received[key] < due[key])
        extra = sorted(key for key in received if received[key] > due[key])
        if missing:
            self.report.problems.append(f"{len(missing)} missing, e.g. {missing[:3]}")
            for recipient, marker in missing[:3]:
                self.report.problems.append(f"  {recipient} {marker}: {self._story(recipient)}")
        if extra:
            self.report.problems.append(
                f"{len(extra)} extra or doubled, e.g. {[(k, received[k]) for k in extra[:3]]}"
            )
        if self.line.faults.plan or self.esp.faults.plan:
            self.report.problems.append("not every planned provider fault was served")
        failed = self._query(lambda: Delivery.objects.filter(status="failed").count())
        if failed:
            self.report.problems.append(f"{failed} deliveries failed")
        self.report.passed = not self.report.problems


def _story_rows(recipient: str) -> list:
    from django.db.models import Q

    from delivery.models import Delivery

    return list(
        Delivery.objects.filter(
            Q(subscriber__email=recipient) | Q(subscriber__line_user_id=recipient)
        ).values_list(
            "message_key", "due_on", "status", "attempts", "last_error", "retry_key", "sent_at"
        )
    )


def _markers(text: str) -> list[str]:
    found = list(dict.fromkeys(MARKER.findall(text or "")))
    return found or [f"unknown: {(text or '')[:40]!r}"]


# ---------------------------------------------------------------- the campaign


def prepare_template(postgres: Postgres) -> None:
    """Migrate once and load the daily content; each run's database is a copy of this one."""
    from django.core.management import call_command
    from django.db import connections

    from content.models import SpecialMessage, StageMessage

    postgres.sql("CREATE DATABASE campaign_template")
    call_command("migrate", verbosity=0)
    StageMessage.objects.bulk_create(
        StageMessage(
            track=s.track,
            unit=s.unit,
            number=s.number,
            subject=f"【{s.key}】",
            body="## 今日のメッセージ\n本文です。",
            published=True,
        )
        for s in _stages()
    )
    for kind in ("welcome", "birth", "loss", "graduation", "birth-check"):
        SpecialMessage.objects.create(
            kind=kind, subject=f"【special:{kind}】", body="## お知らせ\n本文です。", published=True
        )
    connections.close_all()


def campaign(
    runs: int, seed: int, families: int, keep: bool = False, only: int | None = None
) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="kizuna-campaign-"))
    postgres = Postgres(workdir)
    redis = Redis()
    started = time.monotonic()
    reports = []
    try:
        postgres.init()
        redis.start()
        os.environ.update(WORKER_SETTINGS)
        for slug in SLUGS:  # this process answers the LINE webhooks of the runs
            os.environ[f"LINE_CHANNEL_SECRET_{slug.upper().replace('-', '_')}"] = LINE_SECRET
        os.environ["DATABASE_URL"] = postgres.url("campaign_template")
        os.environ["REDIS_URL"] = redis.url
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kizuna.settings")
        import django

        django.setup()
        prepare_template(postgres)
        print(f"fault campaign: {runs} runs from seed {seed}, {families} families each", flush=True)
        rng = random.Random(seed)
        for _ in range(runs):
            plan = make_plan(only or rng.randrange(1, 10**6), families)
            report = Run(plan, postgres, redis, workdir).execute()
            reports.append(report)
            print(report.line(), flush=True)
            for problem in report.problems:
                print(f"    problem: {problem}", flush=True)
    finally:
        from django.db import connections

        with contextlib.suppress(Exception):
            connections.close_all()
        redis.stop()
        postgres.stop()
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)
    passed = sum(r.passed for r in reports)
    totals = Counter()
    for r in reports:
        totals.update(
            expected=r.expected,
            line=r.line_received,
            esp=r.esp_handed_over,
            esp_again=r.esp_resent_same_id,
            kills=r.kills_mid_batch,
            in_flight=r.in_flight_at_kill,
            postgres=r.postgres_restarts,
            redis=r.redis_restarts,
            double_beats=r.double_beats,
            redelivered_line_events=r.redelivered,
        )
        totals.update({f"switch {k}": v for k, v in r.switches.items()})
        totals.update({f"fault {k}": v for k, v in r.provider_faults.items()})
    print(
        f"{passed}/{len(reports)} runs passed in {time.monotonic() - started:.0f}s: "
        + ", ".join(f"{k} {v}" for k, v in sorted(totals.items())),
        flush=True,
    )
    if keep:
        print(f"logs kept in {workdir}")
    return 0 if passed == len(reports) == runs else 1


def _travel_from_environment() -> None:
    import time_machine

    offset = float(os.environ["CAMPAIGN_OFFSET"])
    time_machine.travel(time.time() + offset, tick=True).start()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["worker"]:  # a Celery worker whose clock runs at the simulated time
        _travel_from_environment()
        from kizuna.celery import app

        app.worker_main(
            [
                "worker",
                "--pool",
                "solo",
                "-n",
                f"{argv[1]}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel",
                "WARNING",
            ]
        )
        return 0
    if argv[:1] == ["manage"]:  # a management command at the simulated time
        _travel_from_environment()
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kizuna.settings")
        from django.core.management import execute_from_command_line

        execute_from_command_line(["manage.py", *argv[1:]])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--families", type=int, default=40)
    parser.add_argument("--keep", action="store_true", help="keep the workers' logs")
    parser.add_argument("--only", type=int, help="repeat the run with this seed (from a report)")
    options = parser.parse_args(argv)
    return campaign(options.runs, options.seed, options.families, options.keep, options.only)


if __name__ == "__main__":
    sys.exit(main())
