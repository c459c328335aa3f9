from tests.delivery.conftest import line, morning, municipality, smtp, texts  # noqa: F401
from tests.staff.conftest import world  # noqa: F401
