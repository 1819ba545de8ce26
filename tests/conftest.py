"""Test-wide set-up: every test run gets its own LSL SessionID on the loopback scope, so its
streams are invisible to any other process on the machine (and to other test runs)."""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path

import pytest

_LSL_CONFIG = f"""
[ports]
IPv6 = disable
[multicast]
ResolveScope = machine
[lab]
SessionID = emostream-test-{uuid.uuid4().hex}
"""

# liblsl reads LSLAPICFG when it loads, so this must run before anything imports pylsl.
if "EMOSTREAM_KEEP_LSLAPICFG" not in os.environ:
    _cfg = Path(tempfile.mkdtemp(prefix="emostream-lsl-")) / "lsl_api.cfg"
    _cfg.write_text(_LSL_CONFIG)
    os.environ["LSLAPICFG"] = str(_cfg)

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Real recordings in ../shared/data; tests that need them skip when they are absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"../shared/data not present ({SHARED_DATA}); real-recording tests need it")
    return SHARED_DATA


@pytest.fixture
def unique_name(request: pytest.FixtureRequest) -> str:
    """A stream-name prefix unique to this test."""
    return f"t{uuid.uuid4().hex[:8]}-{request.node.name[:24]}"
