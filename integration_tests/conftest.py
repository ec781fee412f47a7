"""Live-provider tests reuse the real-Redis fixtures of the main suite."""

from tests.conftest import config, redis_url  # noqa: F401
