"""Consent to record a live person: stated by the operator, saved with its scope in session.json.

emostream cannot check that consent was given; it makes the operator state it, records who
stated it how and when, and refuses to record a live person without it.
"""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass
from typing import Any

from emostream.errors import UsageError

#: what a person can consent to; `record` is required to record at all
CONSENT_SCOPES: dict[str, str] = {
    "record": "store their physiological signals, features and predictions on this machine",
    "research": "analyse the pseudonymised recording for research",
    "share": "share the pseudonymised recording with other researchers",
}
REQUIRED_SCOPE = "record"
_PSEUDONYM_RE = re.compile(r"[A-Za-z0-9]{1,32}")

HOW_TO_CONSENT = (
    "recording a live person needs their informed consent. Once they have given it, state it "
    "with `--consent record` (scopes, comma-separated: "
    + ", ".join(CONSENT_SCOPES)
    + ') or in the pipeline file: [record] consent = "record". '
    "To run without recording, pass --no-record or set [record] enabled = false."
)


def check_pseudonym(subject: str) -> str:
    """A subject id must be a pseudonym: 1-32 letters and digits, never a name."""
    if not _PSEUDONYM_RE.fullmatch(subject):
        raise UsageError(
            f"subject {subject!r}: use a pseudonym of 1-32 letters and digits (e.g. P07), "
            "never a name or other identifier"
        )
    return subject


@dataclass(frozen=True, slots=True)
class ConsentRecord:
    """Who consented to what: the subject pseudonym, the scopes, how and when it was stated."""

    subject: str
    scope: tuple[str, ...]
    stated_via: str
    stated_at_unix_s: float

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["scope"] = list(self.scope)
        out["scope_meaning"] = {s: CONSENT_SCOPES[s] for s in self.scope}
        return out


def parse_scope(value: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """`"record,research"` or `["record", "research"]` -> ("record", "research"), validated."""
    items = value.split(",") if isinstance(value, str) else list(value)
    scope = tuple(dict.fromkeys(s.strip().lower() for s in items if s.strip()))
    unknown = [s for s in scope if s not in CONSENT_SCOPES]
    if unknown:
        raise UsageError(
            f"unknown consent scope {', '.join(map(repr, unknown))}; "
            f"known scopes: {', '.join(CONSENT_SCOPES)}"
        )
    if scope and REQUIRED_SCOPE not in scope:
        raise UsageError(
            f"consent scope must include '{REQUIRED_SCOPE}' to record; {HOW_TO_CONSENT}"
        )
    return scope


def consent_record(
    subject: str, scope: str | list[str] | tuple[str, ...] | None, stated_via: str
) -> ConsentRecord | None:
    """A ConsentRecord, or None when no scope was stated."""
    parsed = parse_scope(scope) if scope else ()
    if not parsed:
        return None
    return ConsentRecord(subject, parsed, stated_via, time.time())


def require_consent(consent: ConsentRecord | None, *, live: bool) -> None:
    """Refuse to record a live person without consent; recorded or synthetic data needs none."""
    if live and (consent is None or REQUIRED_SCOPE not in consent.scope):
        raise UsageError(HOW_TO_CONSENT)
