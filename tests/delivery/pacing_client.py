"""A worker process of tests/delivery/test_pacing.py: paced multicasts, posted bare.

Kept apart from the test module, which a spawned process must be able to import before Django
is set up.
"""

import http.client
import json
import urllib.parse


def post_paced(
    url: str, token: str, per_second: float, requests: int, results, run: int = 1
) -> None:
    """``requests`` multicasts, each in its slot; with ``run`` > 1 the slots are reserved
    ``run`` at a time (:class:`delivery.pacing.Pace`), as the LINE sender reserves a batch's."""
    import django

    django.setup()
    from delivery import pacing

    connection = http.client.HTTPConnection(urllib.parse.urlsplit(url).netloc, timeout=10)
    pace = pacing.Pace(pacing.line_account("koto", "multicast"), per_second)
    statuses = []
    for n in range(requests):
        if run == 1:
            pacing.wait_for_slot(pacing.line_account("koto", "multicast"), per_second)
        else:
            if n % run == 0:
                pace.reserve(min(run, requests - n))
            pace.wait()
        body = {
            "to": ["U" + f"{n:032x}", "U" + f"{n + 1:032x}"],
            "messages": [{"type": "text", "text": "a"}],
        }
        connection.request(
            "POST",
            "/v2/bot/message/multicast",
            body=json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        response = connection.getresponse()
        response.read()
        statuses.append(response.status)
    results.put(statuses)
