"""The demo municipality's births (`make run`), so its yearly report has a coverage line."""

from __future__ import annotations

from kizuna import clock
from kizuna.fiscal import fiscal_year_of
from municipalities.models import Municipality

from .models import BirthCount

# A town of about 120,000 people: births in this fiscal year (so far) and the two before it.
DEMO_BIRTHS = (620, 1_180, 1_230)


def ensure_demo_births(municipality: Municipality) -> None:
    this_year = fiscal_year_of(clock.today())
    for back, births in enumerate(DEMO_BIRTHS):
        BirthCount.objects.get_or_create(
            municipality=municipality,
            fiscal_year=this_year - back,
            defaults={"births": births, "source": BirthCount.Source.ENTERED},
        )
