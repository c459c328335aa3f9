import pytest

from tests.delivery.conftest import family, line, morning, municipality, smtp, texts  # noqa: F401
from vaccinations.models import ReminderSettings

NOTE = "予約は区内の協力医療機関へ。定期接種の費用はかかりません。"


@pytest.fixture
def reminders_on(municipality):  # noqa: F811 (the shared fixture)
    return ReminderSettings.objects.create(municipality=municipality, reminders_on=True, note=NOTE)
