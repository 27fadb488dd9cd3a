"""`python -m benchmarks load`: simulated people using the served portal at once.

Each simulated person is one browser tab as Streamlit's own front end speaks to the server: a
websocket to `/_stcore/stream` carrying the same protobuf messages (a run of the page asked for,
with the widgets' values; the page's elements back, until the run finishes). A headless browser
per person would cost more than the server here. Patients sign in through the sign-in form (the
password checked with Argon2 each time) and walk home, test results, health metrics (a third of
them wear a CGM) and the medical record; one in ten is a clinician who opened the portal earlier
(a session cookie, as a new tab resumes it) walking home, result release, metric alerts, the
inbox and refill requests. Each waits a few seconds between pages, as a person reads. People
arrive one after another over the level's first minute (`arrive_over`).

With `processes` above one (PostgreSQL only: a DuckDB file has one process), the deployment's
shape is measured: that many app servers and the `python -m worker` worker on one database, and
Caddy with `deploy/Caddyfile` in front (TLS, sticky routing); the tabs connect to Caddy.

A page succeeds when its run finishes, shows no error or exception, and is the page asked for.
Page time: from sending the request to the run's end. Memory: the server processes' resident
size (summed), sampled each second; after each level the tabs close and the servers forget
their sessions (`server.disconnectedSessionTTL`), then the size is read again."""

from __future__ import annotations

import asyncio
import os
import random
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import websockets
from sqlalchemy import select, update
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

from seed.load import seed_database
from seed.population import SeedOptions
from services.core import access, db
from services.core.models import User, UserRole
from services.health.tables import GlucoseReading
from services.identity import auth, sessions
from tests.support.caddy import caddy
from tests.support.served import ROOT, streamlit_server

PASSWORD = "load-test-password-2026"
HOME = ""  # each role's home is its default page, at the site's root
PATIENT_PAGES = (HOME, "results", "metrics", "record")
CLINICIAN_PAGES = (HOME, "release", "alerts", "inbox", "refill-queue")
ERRORS = ("Something went wrong", "temporarily unavailable", "cannot save anything")
SESSION_TTL = 5  # seconds the server keeps a closed tab's session (the default is 120)


@dataclass
class Shown:
    """What one run of a page drew."""

    seconds: float
    page: str  # the page the server ran (its URL path)
    errors: list[str] = field(default_factory=list)
    inputs: dict[str, str] = field(default_factory=dict)  # text input label → widget id
    buttons: dict[str, str] = field(default_factory=dict)  # button label → widget id


@dataclass(frozen=True)
class Front:
    """Where the tabs connect: the one app server, or the proxy in front of several (TLS)."""

    url: str
    tls: ssl.SSLContext | None = None


class Tab:
    """One browser tab on Streamlit's websocket protocol."""

    def __init__(self, front: Front, cookie: str | None = None) -> None:
        self.front, self.cookie = front, cookie
        self.pages: dict[str, str] = {}  # URL path → page script hash
        self.ws: Any = None

    async def open(self) -> None:
        headers = {"Origin": self.front.url}
        if self.cookie:
            headers["Cookie"] = f"lakeside_session={self.cookie}"
        self.ws = await websockets.connect(
            self.front.url.replace("http", "ws", 1) + "/_stcore/stream",
            subprotocols=["streamlit"],  # type: ignore[list-item]
            additional_headers=headers,
            max_size=None,
            open_timeout=60,
            ssl=self.front.tls,
        )

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()

    async def run(self, page: str = "", widgets: list[WidgetState] | None = None) -> Shown:
        """Ask for a run of `page` (its URL path; "" for the default) with these widget values,
        and read until the run (and any rerun it asked for) has finished."""
        msg = BackMsg()
        msg.rerun_script.query_string = ""
        msg.rerun_script.page_script_hash = self.pages.get(page, "")
        msg.rerun_script.widget_states.widgets.extend(widgets or [])
        started = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        shown = Shown(0.0, "")
        hashes = {v: k for k, v in self.pages.items()}
        while True:
            raw = await asyncio.wait_for(self.ws.recv(), timeout=120)
            forward = ForwardMsg()
            forward.ParseFromString(raw)
            kind = forward.WhichOneof("type")
            if kind == "navigation":
                self.pages = {
                    p.url_pathname: p.page_script_hash for p in forward.navigation.app_pages
                }
                hashes = {v: k for k, v in self.pages.items()}
                shown.page = hashes.get(forward.navigation.page_script_hash, "")
            elif kind == "new_session":
                shown = Shown(0.0, shown.page)  # a new run: what the last one drew is gone
            elif kind == "delta":
                _read_element(forward, shown)
            elif kind == "script_finished":
                status = forward.script_finished
                if status == ForwardMsg.FINISHED_SUCCESSFULLY:
                    shown.seconds = time.perf_counter() - started
                    return shown
                if status == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    shown.errors.append("the page failed to compile")
                    shown.seconds = time.perf_counter() - started
                    return shown


def _read_element(forward: ForwardMsg, shown: Shown) -> None:
    delta = forward.delta
    if delta.WhichOneof("type") != "new_element":
        return
    element = delta.new_element
    kind = element.WhichOneof("type")
    if kind == "exception":
        shown.errors.append(f"exception: {element.exception.type}")
    elif kind == "alert" and element.alert.format == element.alert.ERROR:
        if any(e in element.alert.body for e in ERRORS):
            shown.errors.append(element.alert.body[:120])
    elif kind == "text_input":
        shown.inputs[element.text_input.label] = element.text_input.id
    elif kind == "button":
        shown.buttons[element.button.label] = element.button.id


def _text(widget_id: str, value: str) -> WidgetState:
    state = WidgetState(id=widget_id)
    state.string_value = value
    return state


def _pressed(widget_id: str) -> WidgetState:
    state = WidgetState(id=widget_id)
    state.trigger_value = True
    return state


@dataclass
class Person:
    username: str
    pages: tuple[str, ...]
    cookie: str | None  # a clinician's session from earlier; patients sign in


@dataclass
class Request:
    page: str
    seconds: float
    ok: bool
    problem: str | None


async def _sign_in(tab: Tab, username: str) -> Request:
    first = await tab.run()
    fields = [first.inputs.get("Username"), first.inputs.get("Password")]
    button = first.buttons.get("Sign in")
    if None in fields or button is None:
        return Request("sign-in", first.seconds, False, "no sign-in form")
    user_id, password_id = fields
    assert user_id is not None and password_id is not None
    shown = await tab.run(
        "", [_text(user_id, username), _text(password_id, PASSWORD), _pressed(button)]
    )
    ok = not shown.errors and shown.page == HOME and "results" in tab.pages  # a patient's pages
    return Request("sign-in", first.seconds + shown.seconds, ok, None if ok else str(shown.errors))


async def _person(
    front: Front, person: Person, ends: float, rng: random.Random, think: tuple[float, float]
) -> list[Request]:
    done: list[Request] = []
    tab = Tab(front, person.cookie)
    try:
        await tab.open()
        if person.cookie is None:
            done.append(await _sign_in(tab, person.username))
            if not done[-1].ok:
                return done
        else:
            await tab.run()
        step = rng.randrange(len(person.pages))
        while time.monotonic() < ends:
            await asyncio.sleep(rng.uniform(*think))
            page = person.pages[step % len(person.pages)]
            step += 1
            shown = await tab.run(page)
            ok = not shown.errors and shown.page == page
            problem = None if ok else f"{shown.page}: {shown.errors}"
            done.append(Request(page or "home", shown.seconds, ok, problem))
    except Exception as exc:  # a refused or dropped connection is a failed request
        done.append(Request("connection", 0.0, False, f"{type(exc).__name__}: {exc}"[:200]))
    finally:
        await tab.close()
    return done


def _rss(pids: list[int]) -> int:
    """The processes' resident size in bytes, summed."""
    total = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) * 1024
    return total


async def _level(
    front: Front,
    pids: list[int],
    people: list[Person],
    seconds: float,
    think: tuple[float, float],
    arrive_over: float,
) -> dict[str, Any]:
    rng = random.Random(len(people))
    ends = time.monotonic() + seconds
    peak = [_rss(pids)]

    async def sample() -> None:
        while time.monotonic() < ends + 30:
            peak.append(_rss(pids))
            await asyncio.sleep(1)

    sampler = asyncio.create_task(sample())

    # People arrive one after another over `arrive_over` seconds, not in one instant.
    async def arriving(k: int, person: Person) -> list[Request]:
        await asyncio.sleep(arrive_over * k / len(people))
        return await _person(front, person, ends, random.Random(rng.random()), think)

    results = await asyncio.gather(*(arriving(k, p) for k, p in enumerate(people)))
    sampler.cancel()
    requests = [r for rs in results for r in rs]
    times = sorted(r.seconds for r in requests if r.ok)
    failed = [r for r in requests if not r.ok]
    return {
        "users": len(people),
        "requests": len(requests),
        "succeeded": len(requests) - len(failed),
        "success_rate": round((len(requests) - len(failed)) / max(1, len(requests)), 4),
        "median_ms": round(statistics.median(times) * 1000) if times else None,
        "p95_ms": _p95_ms(times),
        "pages_p95_ms": _p95_ms(
            sorted(r.seconds for r in requests if r.ok and r.page != "sign-in")
        ),
        "max_ms": round(times[-1] * 1000) if times else None,
        "by_page_p95_ms": _by_page(requests),
        "failures": [f"{r.page}: {r.problem}" for r in failed[:10]],
        "rss_peak_bytes": max(peak),
    }


def _p95_ms(ordered: list[float]) -> int | None:
    return round(ordered[int(0.95 * (len(ordered) - 1))] * 1000) if ordered else None


def _by_page(requests: list[Request]) -> dict[str, int | None]:
    pages: dict[str, list[float]] = {}
    for r in requests:
        if r.ok:
            pages.setdefault(r.page, []).append(r.seconds)
    return {p: _p95_ms(sorted(t)) for p, t in sorted(pages.items())}


def _people(count: int) -> list[Person]:
    """`count` people: one in ten a clinician (with a session made now), the rest patients given
    the benchmark's password, a third of them CGM wearers."""
    with db.transaction() as s:
        clinicians = list(
            s.scalars(
                select(User)
                .join(UserRole, UserRole.user_id == User.id)
                .where(UserRole.role == access.CLINICIAN, User.status == "active")
                .order_by(User.username)
            )
        )
        wearers = set(s.scalars(_cgm_wearers()))
        patients = list(
            s.scalars(
                select(User)
                .join(UserRole, UserRole.user_id == User.id)
                .where(
                    UserRole.role == access.PATIENT,
                    User.status == "active",
                    User.totp_enabled_at.is_(None),  # patients who add a second step sign in
                )
                .order_by(User.username)
            )
        )
        wanted = count - count // 10
        wearing = [u for u in patients if u.patient_id in wearers][: wanted // 3]
        chosen = (
            wearing + [u for u in patients if u.patient_id not in wearers][: wanted - len(wearing)]
        )
        hashed = auth.hash_password(PASSWORD)
        s.execute(
            update(User).where(User.id.in_([u.id for u in chosen])).values(password_hash=hashed)
        )
        staff = [
            Person(c.username, CLINICIAN_PAGES, sessions.start(s, c))
            for c in (clinicians * count)[: count // 10]
        ]
        return [Person(u.username, PATIENT_PAGES, None) for u in chosen] + staff


def _cgm_wearers() -> Any:
    return select(GlucoseReading.patient_id).where(GlucoseReading.source == "cgm").distinct()


@contextmanager
def _world(results: Path, database_url: str | None, patients: int) -> Iterator[str]:
    """The world the server serves: seeded now (its history ends today, the server's clock)."""
    options = SeedOptions(patients=patients, years=1, cgm_share=0.05, seed=11, as_of=date.today())
    if database_url is None:
        path = results / f"load-{patients}p-{uuid.uuid4().hex[:6]}.duckdb"
        url = f"duckdb:///{path}"
    else:
        url = database_url
    seed_database(url, replace(options), progress=lambda _: None)
    try:
        yield url
    finally:
        if database_url is None:
            for leftover in results.glob(f"{path.name}*"):
                leftover.unlink()


def run(
    results: Path,
    levels: list[int],
    seconds: float,
    patients: int,
    database_url: str | None,
    think: tuple[float, float] = (4.0, 10.0),
    processes: int = 1,
    arrive_over: float = 60.0,
) -> dict[str, Any]:
    found: dict[str, Any] = {
        "levels": [],
        "seconds_per_level": seconds,
        "think_seconds": think,
        "processes": processes,
        "arrive_over_seconds": arrive_over,
    }
    with ExitStack() as stack:
        url = stack.enter_context(_world(results, database_url, patients))
        os.environ["PORTAL_DATABASE_URL"] = url
        data = Path(stack.enter_context(tempfile.TemporaryDirectory(dir=results)))
        os.environ["PORTAL_DATA_DIR"] = str(data)
        db.reset()
        found["database"] = db.engine().dialect.name
        people = _people(max(levels))
        db.reset()  # the server is the one process that may hold a DuckDB file
        flags = (
            "--server.address",
            "127.0.0.1",
            "--server.disconnectedSessionTTL",
            str(SESSION_TTL),
        )
        bases = [
            stack.enter_context(streamlit_server(url, data, flags=flags)) for _ in range(processes)
        ]
        pids = [_server_pid(base) for base in bases]
        for base in bases:  # each process loads its pages' modules before the measuring
            asyncio.run(_warm(Front(base), people[0]))
        front = Front(bases[0])
        if processes > 1:
            stack.enter_context(_jobs_worker(url, data))
            proxy = Path(stack.enter_context(tempfile.TemporaryDirectory(dir=results)))
            apps = [base.removeprefix("http://") for base in bases]
            _, https_port, tls = stack.enter_context(caddy(proxy, apps))
            front = Front(f"https://localhost:{https_port}", tls)
        found["rss_start_bytes"] = _rss(pids)
        for level in levels:
            figures = asyncio.run(_level(front, pids, people[:level], seconds, think, arrive_over))
            time.sleep(SESSION_TTL + 60)  # the closed tabs' sessions forgotten, collected
            figures["rss_after_bytes"] = _rss(pids)
            found["levels"].append(figures)
            print(table_row(figures), flush=True)
    return found


@contextmanager
def _jobs_worker(url: str, data: Path) -> Iterator[None]:
    """`python -m worker` on the database, as a deployment runs it beside the app processes."""
    env = {**os.environ, "PORTAL_DATABASE_URL": url, "PORTAL_DATA_DIR": str(data)}
    worker = subprocess.Popen(
        [sys.executable, "-m", "worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        worker.terminate()
        worker.wait(timeout=60)


async def _warm(front: Front, person: Person) -> None:
    """One person's walk before measuring (the first run of each page loads its modules)."""
    tab = Tab(front, person.cookie)
    await tab.open()
    try:
        await _sign_in(tab, person.username)
        for page in PATIENT_PAGES:
            await tab.run(page)
    finally:
        await tab.close()


def _server_pid(base: str) -> int:
    port = base.rsplit(":", 1)[1]
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmd = (proc / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"streamlit" in b" ".join(cmd) and port.encode() in cmd:
                return int(proc.name)
    raise RuntimeError("the served app's process was not found")


def table_row(level: dict[str, Any]) -> str:
    return (
        f"{level['users']:>3} users: {level['requests']:,} pages, "
        f"{level['success_rate'] * 100:.2f}% ok, median {level['median_ms']} ms, "
        f"p95 {level['p95_ms']} ms (pages {level.get('pages_p95_ms')} ms, sign-in "
        f"{level['by_page_p95_ms'].get('sign-in')} ms), "
        f"peak {level['rss_peak_bytes'] / 2**20:,.0f} MiB"
        + (
            f", after {level['rss_after_bytes'] / 2**20:,.0f} MiB"
            if "rss_after_bytes" in level
            else ""
        )
    )


def table(found: dict[str, Any]) -> str:
    lines = [
        f"load on {found['database']} ({found.get('processes', 1)} app processes): "
        f"{found['seconds_per_level']:.0f} s per level, "
        f"{found['think_seconds'][0]:.0f}-{found['think_seconds'][1]:.0f} s between pages; "
        f"server at start {found['rss_start_bytes'] / 2**20:,.0f} MiB"
    ]
    lines += [table_row(level) for level in found["levels"]]
    return "\n".join(lines)
