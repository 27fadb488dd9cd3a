"""`python -m demo_processor`: the demo payment processor on the address the portal's settings
give (PORTAL_PAYMENT_API_URL, by default http://127.0.0.1:8502), with the same keys, sending its
notifications to the portal's route. `make run` starts it beside the portal."""

from __future__ import annotations

import sys
import time
import urllib.parse

from demo_processor.server import DemoProcessor, serve
from server.payments import PATH
from services.core.config import settings


def main() -> int:
    config = settings()
    if config.payment is None or config.environment == "production":
        print("demo_processor: for development only, with a payment API URL set", file=sys.stderr)
        return 2
    where = urllib.parse.urlsplit(config.payment.api_url)
    processor = DemoProcessor(
        secret_key=config.payment.secret_key,
        webhook_secret=config.payment.webhook_secret,
        webhook_url=config.public_url + PATH,
    )
    with serve(processor, where.hostname or "127.0.0.1", where.port or 8502) as url:
        print(f"demo payment processor on {url} (test cards only)", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            return 0


if __name__ == "__main__":
    sys.exit(main())
