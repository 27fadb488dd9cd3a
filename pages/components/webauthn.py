"""The browser's side of a passkey or security-key ceremony: a button in the portal's own page
(a Streamlit component, no frame, no outside script) that hands the services' options to
navigator.credentials and the answer back to the page. The checks are the services'."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

HERE = Path(__file__).parent
_CEREMONY = st.components.v2.component(
    "portal_webauthn",
    html=(HERE / "webauthn.html").read_text(encoding="utf-8"),
    css=(HERE / "webauthn.css").read_text(encoding="utf-8"),
    js=(HERE / "webauthn.js").read_text(encoding="utf-8"),
)


@dataclass(frozen=True)
class Outcome:
    answer: str | None  # the browser's answer (JSON), for the services to check
    failed: str | None  # why the browser gave none: NotAllowedError (cancelled, timed out), …


def ceremony(*, options: str, create: bool, label: str, waiting: str, key: str) -> Outcome:
    """A button that runs the ceremony; the outcome only in the run its click causes."""
    found = _CEREMONY(
        data={
            "options": options,
            "mode": "create" if create else "get",
            "label": label,  # set as the button's text content, never as HTML
            "waiting": waiting,
        },
        key=key,
        on_answer_change=lambda: None,
        on_failed_change=lambda: None,
    )
    answer = getattr(found, "answer", None)
    failed = getattr(found, "failed", None)
    return Outcome(
        answer if isinstance(answer, str) else None, failed if isinstance(failed, str) else None
    )
