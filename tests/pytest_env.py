"""Loaded before Django's settings (`-p tests.pytest_env`): the test session's embedded default
lives in a throw-away data directory, never in the developer's ./var."""

import os
import tempfile

os.environ.setdefault("MISSIMO_DATA_DIR", tempfile.mkdtemp(prefix="missimo-test-"))
os.environ.setdefault("MISSIMO_SECURE", "false")
# Second factor: on by default in production; the 2FA tests switch it on for themselves.
os.environ.setdefault("MISSIMO_REQUIRE_2FA", "false")
# Maps: the tests run without network; the default background (basemap.de) is tested by its setting.
os.environ.setdefault("MISSIMO_MAP_TILE_URL", "aus")
