from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from kizuna import clock
from municipalities.access import readable_municipalities, roles_for_request
from municipalities.charts import COLUMN_CHART, columns, horizontal_bars
from municipalities.staff_pages import staff_context, staff_page

from .family_overview import COUNTS_MAX_AGE, recent_family_overview


@staff_page
def overview(request: HttpRequest, pk: int) -> HttpResponse:
    """A municipality's families as counts by stage and signups per month; 404 for others'.

    The counts are a few minutes old at most (family_overview.recent_family_overview); the
    page says when they were taken.
    """
    municipality = get_object_or_404(readable_municipalities(request), pk=pk)
    roles = roles_for_request(request)
    today = clock.today()
    counted = recent_family_overview(municipality, on=today)
    overview = counted.overview
    largest = max(bar.count for bar in overview.pregnancy + overview.child)
    return render(
        request,
        "staff/municipality_overview.html",
        staff_context(
            request,
            f"{municipality.name}の概要",
            municipality=municipality,
            overview=overview,
            pregnancy_bars=horizontal_bars(overview.pregnancy, largest=largest),
            child_bars=horizontal_bars(overview.child, largest=largest),
            signup_columns=columns(overview.signups),
            chart=COLUMN_CHART,
            counted_at=counted.counted_at,
            recount_minutes=int(COUNTS_MAX_AGE.total_seconds() // 60),
            can_edit=roles.superuser or municipality.pk in roles.editor_of,
        ),
    )
