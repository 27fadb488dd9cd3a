"""What a link in an email opens: a patient's own share (services.records.sharing), or a
records package HIM sent to a third party. Sending it was recorded as a disclosure
when it was sent; opening it is counted and audited, and gives the zip as it was built."""

from __future__ import annotations

from services.core import db
from services.core.errors import NotFound
from services.core.language import t
from services.him import package
from services.him.tables import RecordsRequest
from services.records import sharing


def shared_open(*, token: str, recipient_email: str) -> tuple[str, str, bytes]:
    """(file name, content type, bytes) for the link's recipient, or NotFound."""
    link = sharing.checked_link(token=token, recipient_email=recipient_email)
    if link.what != "package":
        return sharing.deliver(link)
    with db.transaction() as session:
        row = session.get(RecordsRequest, link.request_id)
        if row is None:
            raise NotFound(t(sharing.NOT_AVAILABLE))
        data = package.load(row)
        sharing.link_used(session, link)
    return f"records-{link.created_at:%Y-%m-%d}.zip", "application/zip", data
