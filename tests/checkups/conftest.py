from tests.delivery.conftest import (  # noqa: F401 (fixtures shared with delivery)
    line,
    morning,
    municipality,
    postmark,
    smtp,
    texts,
)
