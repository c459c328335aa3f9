from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from kizuna import clock
from municipalities.access import readable_municipalities, roles_for_request
from municipalities.charts import COLUMN_CHART, columns, horizontal_bars
from municipalities.staff_pages import staff_context, staff_page

from .family_overview import family_overview


@staff_page
def overview(request: HttpRequest, pk: int) -> HttpResponse:
    """A municipality's families as counts by stage and signups per month; 404 for others'."""
    municipality = get_object_or_404(readable_municipalities(request), pk=pk)
    roles = roles_for_request(request)
    today = clock.today()
    overview = family_overview(municipality, on=today)
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
            today=today,
            can_edit=roles.superuser or municipality.pk in roles.editor_of,
        ),
    )
