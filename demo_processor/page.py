"""The demo processor's hosted payment page: the only place a card number is typed."""

from __future__ import annotations

from html import escape
from typing import Any

# The page loads nothing and cannot be framed; the form posts back here and the processor then
# sends the browser on to the portal.
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
STYLE = """
body { font-family: system-ui, sans-serif; background: #f6f8fa; margin: 0; color: #1b1f23; }
main { max-width: 26rem; margin: 3rem auto; background: #fff; padding: 2rem;
       border-radius: .75rem; box-shadow: 0 1px 4px rgba(0,0,0,.12); }
.test { background: #fff4d6; border: 1px solid #e6c46c; padding: .6rem .8rem; font-size: .85rem;
        border-radius: .4rem; }
label { display: block; margin-top: 1rem; font-weight: 600; }
input { width: 100%; box-sizing: border-box; padding: .6rem; font-size: 1rem; margin-top: .3rem;
        border: 1px solid #8c959f; border-radius: .4rem; }
.row { display: flex; gap: 1rem; }
button { margin-top: 1.5rem; width: 100%; padding: .8rem; font-size: 1.05rem; border: 0;
         border-radius: .4rem; background: #0a5bd3; color: #fff; cursor: pointer; }
.error { color: #a40e26; background: #ffebe9; padding: .6rem .8rem; border-radius: .4rem; }
"""
TEST_CARDS = (
    ("4242 4242 4242 4242", "pays"),
    ("4000 0000 0000 0002", "is declined"),
    ("4000 0000 0000 0119", "fails with a processing error"),
    ("4000 0000 0000 0341", "saves for later, but later charges are declined"),
)


def _dollars(cents: int) -> str:
    return f"${cents // 100:,}.{cents % 100:02d}"


def _shell(title: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>"
    )


def render(found: dict[str, Any] | None, error: str | None) -> str:
    if found is None:
        return _shell("Not found", "<h1>Payment page not found</h1>")
    back = f'<p><a href="{escape(found["cancel_url"])}">Back without paying</a></p>'
    if found["status"] == "complete":
        done = escape(found["success_url"])
        return _shell("Paid", f'<h1>Payment complete</h1><p><a href="{done}">Continue</a></p>')
    if found["status"] != "open":
        return _shell("Expired", f"<h1>This payment page has expired</h1>{back}")
    paying = found["mode"] == "payment"
    what = (
        f"<p>{escape(found['description'])}</p><p><strong>{_dollars(found['amount_total'])}"
        "</strong></p>"
        if paying
        else "<p>Save a card for your payment plan's instalments. Nothing is charged now.</p>"
    )
    cards = "".join(f"<li><code>{n}</code> {escape(w)}</li>" for n, w in TEST_CARDS)
    problem = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    action = f"Pay {_dollars(found['amount_total'])}" if paying else "Save card"
    form = (
        f'<form method="post" action="/pay/{escape(found["id"])}">'
        '<label for="card">Card number</label>'
        '<input id="card" name="card" inputmode="numeric" autocomplete="cc-number" required>'
        '<div class="row"><div><label for="expiry">Expiry (MM/YY)</label>'
        '<input id="expiry" name="expiry" autocomplete="cc-exp" placeholder="MM/YY" required>'
        '</div><div><label for="cvc">Security code</label>'
        '<input id="cvc" name="cvc" inputmode="numeric" autocomplete="cc-csc" required>'
        "</div></div>"
        '<label for="name">Name on card</label>'
        '<input id="name" name="name" autocomplete="cc-name">'
        f'<button type="submit">{action}</button></form>'
    )
    return _shell(
        "Secure payment",
        "<h1>Secure payment</h1>"
        f'<p class="test">Demo processor in test mode: no real card is charged. Test cards '
        f"(any future expiry, any 3-digit code):</p><ul>{cards}</ul>"
        f"{what}{problem}{form}{back}",
    )
