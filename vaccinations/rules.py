"""The vaccination rules as data: vaccinations/data/routine.toml (定期接種) and optional.toml
(任意接種), read into plain dataclasses. Pure Python, no Django, like content/stages.py."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from content.stages import add_months

DATA = Path(__file__).resolve().parent / "data"
_AGE = re.compile(r"^(?:(\d+)y)?(?:(\d+)m)?(?:(\d+)w)?(?:(\d+)d)?$")


@dataclass(frozen=True, order=True)
class Age:
    """An age or an interval: whole years and months (kept day, or the month's last day), then
    weeks and days. ``Age.parse("7y6m")``, ``Age.parse("14w6d")``."""

    years: int = 0
    months: int = 0
    weeks: int = 0
    days: int = 0

    @classmethod
    def parse(cls, text: str) -> Age:
        found = _AGE.match(text)
        if not text or found is None:
            raise ValueError(f"not an age: {text!r}")
        years, months, weeks, days = (int(part or 0) for part in found.groups())
        return cls(years, months, weeks, days)

    def after(self, start: date) -> date:
        """The day this age (or interval) is reached from ``start``."""
        reached = add_months(start, self.years * 12 + self.months)
        return reached + timedelta(days=self.weeks * 7 + self.days)

    @property
    def approximate_days(self) -> float:
        return self.years * 365.25 + self.months * 30.44 + self.weeks * 7 + self.days

    def starts_reaching(self, on: date) -> list[date]:
        """Every start date from which this age is reached exactly on ``on``, oldest first.

        The inverse of :meth:`after`: one date for weeks and days; none or up to four for months
        at a month's end (Jan 28–31 all reach 1 month on Feb 28 of a common year).
        """
        guess = on - timedelta(days=round(self.approximate_days))
        near = (guess + timedelta(days=offset) for offset in range(-6, 7))
        return [start for start in near if self.after(start) == on]

    def latest_start_reached_by(self, on: date) -> date:
        """The latest start date from which this age is reached on or before ``on``."""
        start = on - timedelta(days=round(self.approximate_days)) + timedelta(days=6)
        while self.after(start) > on:
            start -= timedelta(days=1)
        return start


@dataclass(frozen=True)
class Product:
    name: str
    used_from: date
    used_until: date | None


@dataclass(frozen=True)
class Dose:
    """One dose of a vaccine and when it may be given (ages from the birth date, or from
    妊娠0週0日 for a vaccine in pregnancy)."""

    code: str
    vaccine_code: str
    label: str
    number: int
    earliest: Age | None
    before_age: Age | None  # に至るまで: the last day is the day before
    through_age: Age | None  # the last day itself
    recommended_from: Age | None
    recommended_until: Age | None  # に至るまで
    after: str | None  # the dose this one follows, at ``interval`` or more
    interval: Age | None
    recommended_interval_from: Age | None
    recommended_interval_until: Age | None
    school_year_before_entry: bool  # MR 2期: the year before primary school (Apr 1–Mar 31)


@dataclass(frozen=True)
class Vaccine:
    code: str
    name: str
    short: str  # 20 characters with the dose's label at most: LINE's quick-reply buttons
    doses: tuple[Dose, ...]
    sources: tuple[str, ...]
    facts: tuple[str, ...]
    optional: bool = False
    pregnancy: bool = False
    product: str = ""
    choice_of: str = ""  # vaccines of one choice (ロタ 1価 or 5価): the first dose decides
    products: tuple[Product, ...] = ()
    born_from: date | None = None
    born_until: date | None = None
    applies_from: date | None = None
    applies_until: date | None = None

    def covers_birth(self, born: date) -> bool:
        return (self.born_from is None or self.born_from <= born) and (
            self.born_until is None or born <= self.born_until
        )

    def product_on(self, day: date) -> str:
        """The product in routine use on ``day`` (小児肺炎球菌: 13価, 15価, 20価)."""
        for product in self.products:
            if product.used_from <= day and (
                product.used_until is None or day <= product.used_until
            ):
                return product.name
        return self.product


@dataclass(frozen=True)
class Rules:
    version: str
    vaccines: tuple[Vaccine, ...]

    @property
    def doses(self) -> dict[str, Dose]:
        return {dose.code: dose for vaccine in self.vaccines for dose in vaccine.doses}

    def vaccine(self, code: str) -> Vaccine:
        return next(v for v in self.vaccines if v.code == code)

    def vaccine_of(self, dose_code: str) -> Vaccine:
        return self.vaccine(self.doses[dose_code].vaccine_code)


def _age(raw: dict[str, Any], name: str) -> Age | None:
    value = raw.get(name)
    return Age.parse(value) if value else None


def _date(raw: dict[str, Any], name: str) -> date | None:
    value = raw.get(name)
    return date.fromisoformat(value) if value else None


def _vaccine(raw: dict[str, Any]) -> Vaccine:
    doses = tuple(
        Dose(
            code=dose["code"],
            vaccine_code=raw["code"],
            label=dose.get("label", ""),
            number=number,
            earliest=_age(dose, "earliest"),
            before_age=_age(dose, "before_age"),
            through_age=_age(dose, "through_age"),
            recommended_from=_age(dose, "recommended_from"),
            recommended_until=_age(dose, "recommended_until"),
            after=dose.get("after"),
            interval=_age(dose, "interval"),
            recommended_interval_from=_age(dose, "recommended_interval_from"),
            recommended_interval_until=_age(dose, "recommended_interval_until"),
            school_year_before_entry=bool(dose.get("school_year_before_entry", False)),
        )
        for number, dose in enumerate(raw["dose"], start=1)
    )
    products = tuple(
        Product(p["name"], date.fromisoformat(p["from"]), _date(p, "until"))
        for p in raw.get("products", [])
    )
    return Vaccine(
        code=raw["code"],
        name=raw["name"],
        short=raw["short"],
        doses=doses,
        sources=tuple(raw.get("sources", [])),
        facts=tuple(raw.get("facts", [])),
        optional=bool(raw.get("optional", False)),
        pregnancy=bool(raw.get("pregnancy", False)),
        product=raw.get("product", ""),
        choice_of=raw.get("choice_of", ""),
        products=products,
        born_from=_date(raw, "born_from"),
        born_until=_date(raw, "born_until"),
        applies_from=_date(raw, "applies_from"),
        applies_until=_date(raw, "applies_until"),
    )


def read(path: Path) -> Rules:
    """Rules from one TOML file; a dose that follows another must name one of the same file."""
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    rules = Rules(version=raw["version"], vaccines=tuple(_vaccine(v) for v in raw["vaccine"]))
    codes = rules.doses
    for dose in codes.values():
        if dose.after is not None and (dose.after not in codes or dose.interval is None):
            raise ValueError(f"{path.name}: {dose.code} follows an unknown dose or no interval")
        if dose.earliest is None and not dose.school_year_before_entry:
            raise ValueError(f"{path.name}: {dose.code} has no earliest age")
    return rules


@cache
def routine() -> Rules:
    return read(DATA / "routine.toml")


@cache
def optional() -> Rules:
    return read(DATA / "optional.toml")


def optional_codes() -> list[tuple[str, str]]:
    """(code, name) of the optional vaccines a municipality can switch on."""
    return [(v.code, v.name) for v in optional().vaccines]


@cache
def all_rules() -> Rules:
    """Routine and optional vaccines in one list (optional ones shown only where switched on)."""
    return Rules(
        version=f"{routine().version}+{optional().version}",
        vaccines=routine().vaccines + optional().vaccines,
    )
