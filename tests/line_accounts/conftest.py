from tests.delivery.conftest import line, morning, municipality, smtp, texts  # noqa: F401
