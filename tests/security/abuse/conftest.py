from tests.delivery.conftest import line, morning, municipality, postmark, smtp, texts  # noqa: F401
