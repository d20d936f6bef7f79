"""`make bench`: for each page, server time (median and 95th percentile), SQL queries, and bytes on the wire, at
the normal data size and at ten times it, with the 10×/1× ratio of each page's 95th percentile and whether its
query count stayed the same.

Each size runs in a process of its own (PRCN_BENCH_SCALE=N set: one size only, as `make bench` runs it for each)
on a fresh, migrated and seeded SQLite database (or PRCN_BENCH_DATABASE_URL, which must then be a new one per
size), the app in-process, so the figures measure the portal's own work, not the network. PRCN_BENCH_SCALES lists
the sizes (default "1,10"), PRCN_BENCH_RUNS the requests per page (default 200). Results are printed and written to
var/bench.json.
"""

from __future__ import annotations

import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

warnings.filterwarnings("ignore")
WORK = Path(tempfile.mkdtemp(prefix="prcn-bench-"))
os.environ.setdefault("PRCN_SECRET_KEY", "bench-secret-key-that-is-long-enough-0123456789")
os.environ["PRCN_VAR_DIR"] = str(WORK)
os.environ["PRCN_DATABASE_URL"] = os.environ.get("PRCN_BENCH_DATABASE_URL", f"sqlite:///{WORK / 'bench.sqlite3'}")

from bs4 import BeautifulSoup  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import event  # noqa: E402
from sqlmodel import Session, col, select  # noqa: E402

from app import seeds  # noqa: E402
from app.__main__ import migrate  # noqa: E402
from app.auth import service  # noqa: E402
from app.auth.deps import SESSION_COOKIE  # noqa: E402
from app.auth.models import User  # noqa: E402
from app.capacity import service as capacity  # noqa: E402
from app.coalitions import service as coalitions  # noqa: E402
from app.core.config import ROOT, get_settings  # noqa: E402
from app.core.db import get_engine, id_of  # noqa: E402
from app.governance import service as governance  # noqa: E402
from app.library import service as library  # noqa: E402
from app.main import create_app  # noqa: E402
from app.meetings import service as meetings  # noqa: E402
from app.meetings.models import MeetingSeries  # noqa: E402
from app.members.models import MemberState  # noqa: E402
from app.training import service as training  # noqa: E402
from app.training.models import TrainingOffer  # noqa: E402
from bench import lighthouse  # noqa: E402

RUNS = int(os.environ.get("PRCN_BENCH_RUNS", "200"))
# How many times the normal data: needs, support, courses, meetings and documents.
SCALE = int(os.environ.get("PRCN_BENCH_SCALE", "1"))


@dataclass
class PageFigures:
    page: str
    median_ms: float
    p95_ms: float
    server_median_ms: float
    server_p95_ms: float
    queries: int
    html_gzip_bytes: int
    first_visit_gzip_bytes: int


class QueryCounter:
    def __init__(self) -> None:
        self.count = 0
        event.listen(get_engine(), "before_cursor_execute", self._count)

    def _count(self, *args: object) -> None:
        self.count += 1


def measure(client: TestClient, path: str, counter: QueryCounter, label: str = "") -> PageFigures:
    response = client.get(path, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200, (path, response.status_code)
    counter.count = 0
    client.get(path)
    queries = counter.count
    timings = []
    for _ in range(RUNS):
        start = time.perf_counter()
        client.get(path)
        timings.append((time.perf_counter() - start) * 1000)
    served = server_times(client, path)
    html = gzip.compress(response.content, 6)
    assets = [
        tag.get("href") or tag.get("src")
        for tag in BeautifulSoup(response.text, "html.parser").select("link[href^='/static/'], script[src]")
    ]
    asset_bytes = sum(len(gzip.compress(client.get(url).content, 6)) for url in assets)
    timings.sort()
    return PageFigures(
        page=label or path,
        median_ms=round(statistics.median(timings), 2),
        p95_ms=round(timings[int(len(timings) * 0.95) - 1], 2),
        server_median_ms=round(statistics.median(served), 2),
        server_p95_ms=round(served[int(len(served) * 0.95) - 1], 2),
        queries=queries,
        html_gzip_bytes=len(html),
        first_visit_gzip_bytes=len(html) + asset_bytes,
    )


def server_times(client: TestClient, path: str) -> list[float]:
    """The app's own time for `path`, sorted: RUNS calls of the application itself in the client's event loop,
    without the client's request building, hand-over between threads and response reading (about 3 ms a request
    on a 2-core machine)."""
    address, _, query = path.partition("?")
    cookies = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": address,
        "raw_path": address.encode(),
        "query_string": query.encode(),
        "root_path": "",
        # What the test client sends too: its timings and these differ by the client's own work alone.
        "headers": [
            (b"host", b"127.0.0.1:8000"),
            (b"accept-encoding", b"gzip, deflate"),
            (b"cookie", cookies.encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            assert message["status"] == 200, (path, message["status"])

    async def timed() -> list[float]:
        timings = []
        for _ in range(RUNS):
            start = time.perf_counter()
            await client.app(dict(scope), receive, send)
            timings.append((time.perf_counter() - start) * 1000)
        return sorted(timings)

    return client.portal.call(timed)


def session_token(role: str) -> str:
    """A session of a new account of `role` (a focal point of the first seeded state)."""
    with Session(get_engine()) as session:
        state = (
            session.exec(select(MemberState).order_by(col(MemberState.id))).first() if role == "focal_point" else None
        )
        user = service.create_user(
            session,
            email=f"bench-{role}-{time.monotonic_ns()}@example.org",
            display_name=f"Bench {role}",
            role=role,
            actor_id=None,
            member_state_id=state.id if state else None,
        )
        session.commit()
        return service.start_session(session, user=user, address="bench", user_agent="bench")


def signed_in(client: TestClient, role: str) -> None:
    client.cookies.set(SESSION_COOKIE, session_token(role))


# (path, role of the signed-in visitor or None for anonymous)
PAGES: list[tuple[str, str | None]] = [
    ("/", None),
    ("/auth/sign-in", None),
    ("/account", "observer"),
    ("/admin", "admin"),
    ("/members", "focal_point"),
    ("/members/FJ", "focal_point"),
    ("/bodies", "focal_point"),
    ("/working-groups", "focal_point"),
    ("/contributions", "focal_point"),
    ("/decisions", "focal_point"),
]


def meetings_pages() -> list[tuple[str, str, str]]:
    """Every state in the SME body, a quarterly series of four meetings, and the find-a-time search the
    issue sets a target for: 22 states over a two-week window (label, path, role)."""
    settings = get_settings()
    with Session(get_engine(), expire_on_commit=False) as session:
        coordinator = service.create_user(
            session, email="bench-runner@example.org", display_name="Runner", role="coordinator", actor_id=None
        )
        sme = governance.get_body(session, settings, "sme", user=coordinator)
        states = list(session.exec(select(MemberState).order_by(col(MemberState.id))).all())
        for state in states:
            governance.record_membership(session, settings, user=coordinator, body=sme, state=state)
        series = session.exec(select(MeetingSeries).where(MeetingSeries.key == "sme-quarterly")).one()
        first = date.today() + timedelta(days=30)
        meeting = meetings.next_occurrences(
            session,
            settings,
            user=coordinator,
            series=series,
            first_day=first.isoformat(),
            link="https://meet.example.org/sme",
        )[0]
        for year in range(1, SCALE):  # four more meetings a year per step of scale
            meetings.next_occurrences(
                session,
                settings,
                user=coordinator,
                series=series,
                first_day=(first + timedelta(days=366 * year)).isoformat(),
                link="https://meet.example.org/sme",
            )
        window = "&".join(f"states={state.id}" for state in states)
        end = first + timedelta(days=13)
    search = f"/meetings/find-time?{window}&first={first}&last={end}&zone=Pacific/Fiji&duration=120&series={series.id}"
    return [
        ("/meetings", "/meetings", "focal_point"),
        ("/dashboard", "/dashboard", "focal_point"),
        ("/meetings/{id}", f"/meetings/{meeting.id}", "coordinator"),
        # The same page as most of its readers see it: a focal point of a member state, without the forms that run it.
        ("/meetings/{id} focal pt", f"/meetings/{meeting.id}", "focal_point"),
        ("find a time, 22 states", search, "coordinator"),
    ]


def training_pages() -> list[tuple[str, str, str]]:
    """Thirty published courses, each with two candidates from every state (half of them women) and half the
    seats filled, and five SAAT assessments held over the past weeks whose accepted candidates half passed: the
    catalogue, one offer as its provider sees it, and the reports (label, path, role)."""
    with Session(get_engine(), expire_on_commit=False) as session:
        coordinator = session.exec(select(User).where(User.email == "bench-runner@example.org")).one()
        states = list(session.exec(select(MemberState).order_by(col(MemberState.id))).all())
        nominators = [
            service.create_user(
                session,
                email=f"bench-fp-{s.code.lower()}@example.org",
                actor_id=None,
                display_name=f"Focal point {s.code}",
                role="focal_point",
                member_state_id=s.id,
            )
            for s in states
        ]
        offers = [
            _half_filled_course(session, coordinator, nominators, states[0].code, number, 60 + 7 * number)
            for number in range(30 * SCALE)
        ]
        for number in range(5 * SCALE):
            _assessed(session, coordinator, nominators, states[0].code, number, 30 + 7 * number)
    return [
        ("/training", "/training", "focal_point"),
        ("/training/{id}", f"/training/{offers[0].id}", "coordinator"),
        ("/training/reports", "/training/reports", "focal_point"),
        ("/training/certified", "/training/certified", "focal_point"),
    ]


def _half_filled_course(
    session: Session, coordinator: User, nominators: list[User], provider: str, number: int, days_ahead: int
) -> TrainingOffer:
    """A published course `days_ahead` from today, provided by a state, with two candidates from every state, one of
    each two accepted."""
    settings = get_settings()
    start = date.today() + timedelta(days=days_ahead)
    form = training.OfferForm(
        title=f"Course {number + 1}",
        course_type="saat-preparation" if number % 2 else "pre-deployment",
        track="police" if number % 2 else "military",
        starts_on=start.isoformat(),
        ends_on=(start + timedelta(days=4)).isoformat(),
        deadline_on=(start - timedelta(days=14)).isoformat(),
        seats=40,
        seats_per_state=2,
        languages=["en", "fr"],
        online=True,
        provider_state=provider,
        zone="Pacific/Fiji",
    )
    offer = training.create_offer(session, user=coordinator, form=form)
    training.set_status(session, settings, user=coordinator, offer=offer, status="published")
    for nominator in nominators:
        for gender in ("woman", "man"):
            training.nominate(
                session,
                user=nominator,
                offer=offer,
                form=training.CandidateForm(full_name=f"Candidate {gender} {nominator.id}", gender=gender),
            )
    active = training.nominations(session, id_of(offer))
    decisions = {id_of(n): "accepted" for n in active[::2]}
    training.allocate(session, settings, user=coordinator, offer=offer, decisions=decisions, reasons={})
    return offer


def _assessed(
    session: Session, coordinator: User, nominators: list[User], provider: str, number: int, days_ago: int
) -> None:
    """A SAAT assessment that began `days_ago` (its dates are moved there once it is filled, as no form offers a
    course in the past), closed, with every other accepted candidate passed on its last day."""
    offer = _half_filled_course(session, coordinator, nominators, provider, 2 * number + 1, 30)
    start = date.today() - timedelta(days=days_ago)
    training.set_status(session, get_settings(), user=coordinator, offer=offer, status="closed")
    offer.starts_on, offer.ends_on, offer.deadline_on = start, start + timedelta(days=4), start - timedelta(days=14)
    session.add(offer)
    session.commit()
    accepted = training.nominations(session, id_of(offer), ("accepted",))
    last_day = offer.ends_on.isoformat()
    outcomes = {id_of(n): ("passed" if index % 2 else "not_passed", last_day) for index, n in enumerate(accepted)}
    training.record_outcomes(session, user=coordinator, offer=offer, outcomes=outcomes)


AREAS = ("training", "equipment", "logistics", "deployment_support")
PROVIDERS = ("AU", "NZ", "JP", "KR")


def capacity_pages() -> list[tuple[str, str, str]]:
    """Every state with a need in four areas (88 needs), four partner states supporting two of them (44
    support records), a coalition around each of five states, sixty library documents (half in French, a third
    public) and a published summary: the needs list, the deconfliction view and its CSV, the library and a French
    search, the coalitions and the Fiji country brief (label, path, role). The public page, measured first,
    shows the summary and the newest public documents too: every page's data is made before any is measured."""
    settings = get_settings()
    with Session(get_engine(), expire_on_commit=False) as session:
        coordinator = session.exec(select(User).where(User.email == "bench-runner@example.org")).one()
        states = list(session.exec(select(MemberState).order_by(col(MemberState.id))).all())
        for number, state in [(n, s) for _ in range(SCALE) for n, s in enumerate(states)]:
            for area in AREAS:
                need = capacity.record_need(
                    session,
                    user=coordinator,
                    form=capacity.NeedForm(
                        area=area,
                        track="police",
                        description=f"{area} need of {state.code}",
                        priority="high",
                        state=state.code,
                        wanted_by=(date.today() - timedelta(days=30 - number)).isoformat(),
                    ),
                )
                if area in AREAS[:2]:
                    provider = PROVIDERS[number % len(PROVIDERS)]
                    capacity.record_support(
                        session,
                        user=coordinator,
                        form=capacity.SupportForm(
                            recipient_state=state.code,
                            need=str(need.id),
                            kind="trainers",
                            starts_on=date.today().isoformat(),
                            ends_on=(date.today() + timedelta(days=90)).isoformat(),
                            provider_state=provider if provider != state.code else "FJ",
                        ),
                    )
        coalition = None
        for state in states[:5]:
            coalition = coalitions.convene(
                session,
                user=coordinator,
                state_id=state.id,  # type: ignore[arg-type]
                title=f"Coalition for {state.code}",
                partner_state_ids=[states[-1].id],
                organisations="UN DPO",
            )  # type: ignore[list-item]
        for number in range(60 * SCALE):
            french = number % 2 == 1
            library.upload(
                session,
                settings,
                user=coordinator,
                kind="lesson_learned",
                title=("Leçons du déploiement " if french else "Lessons from deployment ") + str(number),
                language="fr" if french else "en",
                tags="formation saat" if french else "training saat",
                access="public" if number % 3 == 0 else "members",
                filename=f"doc{number}.txt",
                summary="Formation avant déploiement" if french else "Pre-deployment training",
                content=f"Document {number}".encode(),
            )
        meeting = meetings.upcoming(session, user=coordinator, limit=1)[0]
        meetings.set_publication(
            session,
            user=coordinator,
            meeting=meeting,
            chatham_house=True,
            publish=True,
            summary="States compared their **pre-deployment training** plans.",
        )
    return [
        ("/needs", "/needs", "focal_point"),
        ("/deconfliction", "/deconfliction", "coordinator"),
        ("/deconfliction.csv", "/deconfliction.csv", "coordinator"),
        ("/library", "/library", "focal_point"),
        ("/library?q=leçons", "/library?q=le%C3%A7ons", "focal_point"),
        ("/coalitions", "/coalitions", "focal_point"),
        ("/coalitions/{id}", f"/coalitions/{coalition.id}", "coordinator"),  # type: ignore[union-attr]
        ("/members/FJ/brief", "/members/FJ/brief", "coordinator"),
        ("/admin/audit", "/admin/audit", "admin"),
    ]


def run_one() -> int:
    """One size: builds the data, measures every page, writes the figures to PRCN_BENCH_OUT (or var/bench.json)."""
    settings = get_settings()
    migrate(settings)
    with Session(get_engine()) as session:
        seeds.load(session, settings.seeds_dir)
    app = create_app()
    started = time.perf_counter()
    pages = [(path, path, role) for path, role in PAGES] + meetings_pages() + training_pages() + capacity_pages()
    print(f"(scale {SCALE}: data made in {time.perf_counter() - started:.0f} s)", file=sys.stderr)
    counter = QueryCounter()
    results = []
    for label, path, role in pages:
        with TestClient(app, base_url="http://127.0.0.1:8000") as client:
            if role:
                signed_in(client, role)
            results.append(measure(client, path, counter, label))
    print(f"\nScale {SCALE}×")
    print(
        f"{'page':<26}{'median ms':>10}{'p95 ms':>9}{'server ms':>10}{'p95':>7}{'queries':>9}{'html gz B':>11}"
        f"{'first visit gz B':>18}"
    )
    for row in results:
        print(
            f"{row.page:<26}{row.median_ms:>10}{row.p95_ms:>9}{row.server_median_ms:>10}{row.server_p95_ms:>7}"
            f"{row.queries:>9}{row.html_gzip_bytes:>11}{row.first_visit_gzip_bytes:>18}"
        )
    print(
        f"({RUNS} requests per page, in-process, {get_engine().dialect.name}, Python {sys.version.split()[0]}; "
        "server: the application called directly, without the test client)"
    )
    audited: list[dict[str, object]] = []
    if SCALE == 1 and os.environ.get("PRCN_BENCH_LIGHTHOUSE", "1") != "0":
        meeting = next(path for label, path, _ in pages if label == "/meetings/{id}")
        audited = lighthouse.scores(
            [
                ("/", "/", ""),
                ("/auth/sign-in", "/auth/sign-in", ""),
                ("/meetings/{id}", meeting, f"{SESSION_COOKIE}={session_token('coordinator')}"),
            ]
        )
    if audited:
        print(f"\n{'Lighthouse, mobile, slow 4G':<30}" + "".join(f"{name:>16}" for name in lighthouse.CATEGORIES))
        for scored in audited:
            print(f"{scored['page']:<30}" + "".join(f"{scored[name]:>16}" for name in lighthouse.CATEGORIES))
    out = Path(os.environ.get("PRCN_BENCH_OUT", str(ROOT / "var" / "bench.json")))
    out.parent.mkdir(exist_ok=True)
    figures = {"scale": SCALE, "runs": RUNS, "pages": [asdict(row) for row in results], "lighthouse": audited}
    out.write_text(json.dumps(figures, indent=2))
    return 0


def ratios(small: dict[str, Any], large: dict[str, Any]) -> list[dict[str, Any]]:
    """Per page: the p95 at each size, their ratio, and whether the query counts are the same."""
    by_page = {row["page"]: row for row in large["pages"]}
    rows = []
    for row in small["pages"]:
        other = by_page.get(row["page"])
        if other is None:
            continue
        rows.append(
            {
                "page": row["page"],
                "p95_ms": row["p95_ms"],
                "p95_ms_large": other["p95_ms"],
                "p95_ratio": round(other["p95_ms"] / row["p95_ms"], 2) if row["p95_ms"] else None,
                "server_p95_ratio": round(other["server_p95_ms"] / row["server_p95_ms"], 2)
                if row["server_p95_ms"]
                else None,
                "queries": row["queries"],
                "queries_large": other["queries"],
                "same_queries": row["queries"] == other["queries"],
                "html_gzip_bytes": row["html_gzip_bytes"],
                "html_gzip_bytes_large": other["html_gzip_bytes"],
            }
        )
    return rows


TARGET_RATIO = 1.5


def main() -> int:
    """Every size in a process of its own, then the ratios of the largest to the smallest."""
    if "PRCN_BENCH_SCALE" in os.environ:
        return run_one()
    scales = [int(n) for n in os.environ.get("PRCN_BENCH_SCALES", "1,10").split(",") if n.strip()]
    figures: dict[int, dict[str, Any]] = {}
    for scale in scales:
        out = WORK / f"bench-{scale}.json"
        env = {**os.environ, "PRCN_BENCH_SCALE": str(scale), "PRCN_BENCH_OUT": str(out)}
        subprocess.run([sys.executable, "-m", "bench"], env=env, check=True, cwd=ROOT)
        figures[scale] = json.loads(out.read_text())
    small, large = min(scales), max(scales)
    compared = ratios(figures[small], figures[large]) if large != small else []
    if compared:
        print(f"\n{large}× the data against {small}×: p95 ratio (target ≤ {TARGET_RATIO}) and query counts")
        print(
            f"{'page':<26}{'p95 ms':>9}{f'p95 {large}×':>10}{'ratio':>8}{'server':>8}{'queries':>9}{'same':>6}"
            f"{'html gz B':>16}"
        )
        for row in compared:
            mark = "" if row["p95_ratio"] is not None and row["p95_ratio"] <= TARGET_RATIO else " !"
            print(
                f"{row['page']:<26}{row['p95_ms']:>9}{row['p95_ms_large']:>10}{row['p95_ratio']!s:>8}"
                f"{row['server_p95_ratio']!s:>8}"
                f"{row['queries']!s:>5}/{row['queries_large']!s:<3}{'yes' if row['same_queries'] else 'NO':>6}"
                f"{row['html_gzip_bytes']!s:>8}/{row['html_gzip_bytes_large']!s:<7}{mark}"
            )
        within = sum(1 for row in compared if (row["p95_ratio"] or 0) <= TARGET_RATIO)
        same = sum(1 for row in compared if row["same_queries"])
        served = sum(1 for row in compared if (row["server_p95_ratio"] or 0) <= TARGET_RATIO)
        print(
            f"{within} of {len(compared)} pages within the p95 target ({served} by the server's own p95); "
            f"{same} of {len(compared)} with the same queries"
        )
    out = ROOT / "var" / "bench.json"
    out.parent.mkdir(exist_ok=True)
    summary = {"scales": {str(scale): figures[scale] for scale in scales}, "ratios": compared}
    out.write_text(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
