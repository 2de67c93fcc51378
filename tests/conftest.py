"""Fixtures every test may use. The real broker starts once, when a test first asks for it."""

pytest_plugins = ["tests.fixtures.kafka", "tests.fixtures.postgres"]
