"""SMS fan-out under load: throughput within a rate limit, a plain SDK loop, and peak memory.

Run by hand from the repository root (it takes about half an hour with the defaults)::

    python bench/bench_sms.py
    python bench/bench_sms.py --plain-count 1000 --sizes 10000,100000   # a quicker pass

Everything runs on 127.0.0.1. Each scenario starts the local Twilio peer
(``tests.peers.twilio_api.TwilioAPIServer``) in its own process, so its CPU and memory do not
count against the sender; the peer keeps only the arrival time of every accepted message and
hands them back when it stops. The sender is the real product path: a temporary folder with a
channels.yaml pointing at the peer, a generated contacts CSV of distinct, valid French mobile
numbers, the example incident and a one-segment GSM-7 template, sent with
``python -m broadcast send ... --channel sms --yes --json`` in a child process.

It measures:

1. **Throughput under a rate limit**: 10,000 recipients, ``rate: 100/s``, the peer answering
   after 50 ms. From the peer's arrival times: messages per second from the first to the last
   arrival, and the most arrivals in any 1-second window ``[t, t + 1)``.
2. **A plain loop** over the twilio SDK (``Client.messages.create`` one after the other) against
   the same peer with the same latency, for comparison.
3. **Peak memory** of the sending process (``ru_maxrss`` from ``wait4``) against a peer that
   answers at once, ``rate: unlimited``, for growing recipient counts, split into the peak
   before the first message left (preflight: reading and counting the CSV) and the peak while
   sending. A size whose projected duration exceeds ``--max-minutes`` is skipped and said so.

CSV generation is timed apart and counted in no figure. Nothing is written into the
repository; the temporary folder is removed at the end.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
from array import array
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from itertools import pairwise
from multiprocessing.connection import Connection
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import phonenumbers  # noqa: E402
from isolated import isolated_env  # noqa: E402
from twilio.http.http_client import TwilioHttpClient  # noqa: E402
from twilio.rest import Client  # noqa: E402

from tests.peers.base import IncomingRequest, Reply  # noqa: E402
from tests.peers.twilio_api import (  # noqa: E402
    DEFAULT_ACCOUNT_SID,
    DEFAULT_AUTH_TOKEN,
    MAGIC_VALID_FROM,
    TwilioAPIServer,
)

RATE = 100  # messages per second allowed on the channel in the throughput scenario
LATENCY = 0.050  # seconds the peer takes to answer in the throughput and plain-loop scenarios
# 100/s at ~52 ms a request needs at least 6 requests in flight; 10 (the SMS adapter's default)
# leaves room for a slow answer without a gap in the schedule.
THROUGHPUT_CONCURRENCY = 10
MEMORY_CONCURRENCY = 16
# 09:40 in Paris on the day of the example outage, as in the tests: a stable rendering.
NOW = "2026-11-22T08:40:00+00:00"
SMS_TEMPLATE = "{{ organisation }} : coupure de courant en cours. Infos : {{ link }}\n"
SETTLE_SECONDS = 2.0  # the 1-s window maximum is also given without the first seconds
SAMPLE_EVERY = 0.2  # seconds between two looks at the sender's memory
PEER_START_TIMEOUT = 30.0
PEER_STOP_TIMEOUT = 60.0
NO_EDGE_OR_REGION = {"TWILIO_EDGE": "", "TWILIO_REGION": ""}  # see tests/peers/fixtures.py


# -- the peer, in its own process ---------------------------------------------------------------


class ArrivalRecordingServer(TwilioAPIServer):
    """The Twilio peer keeping only what a benchmark needs: arrival times and distinct numbers.

    The stock peer keeps every request and message, a few kilobytes each: a million of them
    would measure the peer, not the sender.
    """

    def __init__(self, accepted: Synchronized[int], latency: float) -> None:
        super().__init__(latency=latency)
        self.accepted = accepted
        self.arrivals = array("d")
        self.distinct: set[int] = set()
        self.statuses: Counter[int | None] = Counter()

    def _create(self, request: IncomingRequest) -> Reply:
        reply = super()._create(request)
        if reply.status == 201:
            with self.lock:
                _, message = self._messages.popitem()
                self.distinct.add(int(message.to.lstrip("+")))
        return reply

    def _record(
        self, request: IncomingRequest, reply: Reply | None, scripted: Any, at: float
    ) -> None:
        status = None if reply is None else reply.status
        with self.lock:
            self.statuses[status] += 1
            if status == 201:
                self.arrivals.append(at)
        if status == 201:
            with self.accepted.get_lock():
                self.accepted.value += 1


def serve_peer(
    latency: float, accepted: Synchronized[int], control: Connection, arrivals_file: str
) -> None:
    """Child process: run the peer until told to stop, then hand back what it saw."""
    server = ArrivalRecordingServer(accepted, latency)
    server.start()
    try:
        control.send(server.url)
        control.recv()  # any message means stop
    finally:
        server.stop()
        with open(arrivals_file, "wb") as out:
            server.arrivals.tofile(out)
        control.send(
            {
                "arrivals": len(server.arrivals),
                "distinct": len(server.distinct),
                "statuses": dict(server.statuses),
                "internal_errors": len(server.internal_errors()),
            }
        )


@dataclass
class PeerReport:
    """What the peer saw: sorted arrival times of accepted messages and a few counts."""

    arrivals: list[float]
    distinct: int
    statuses: dict[int | None, int]
    internal_errors: int


class PeerProcess:
    """The peer in a separate process; ``url`` once started, ``accepted`` as it goes."""

    def __init__(self, latency: float, folder: Path) -> None:
        context = multiprocessing.get_context("spawn")
        self.accepted: Synchronized[int] = context.Value("q", 0)
        self.arrivals_file = folder / f"arrivals-{time.monotonic_ns()}.bin"
        self.control, child = context.Pipe()
        self.process = context.Process(
            target=serve_peer,
            args=(latency, self.accepted, child, str(self.arrivals_file)),
            name="twilio-peer",
        )
        self.url = ""

    def start(self) -> PeerProcess:
        self.process.start()
        if not self.control.poll(PEER_START_TIMEOUT):
            raise RuntimeError("the Twilio peer did not start")
        self.url = self.control.recv()
        return self

    def stop(self) -> PeerReport:
        self.control.send("stop")
        if not self.control.poll(PEER_STOP_TIMEOUT):
            raise RuntimeError("the Twilio peer did not stop")
        counts = self.control.recv()
        self.process.join(PEER_STOP_TIMEOUT)
        times = array("d")
        with self.arrivals_file.open("rb") as data:
            times.frombytes(data.read())
        self.arrivals_file.unlink()
        return PeerReport(
            sorted(times), counts["distinct"], counts["statuses"], counts["internal_errors"]
        )

    def kill(self) -> None:
        """Make sure the process is gone, whatever happened before."""
        if self.process.is_alive():
            with suppress(OSError, ValueError):
                self.control.send("stop")
            self.process.join(5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(5)


@contextmanager
def running_peer(latency: float, folder: Path) -> Iterator[PeerProcess]:
    peer = PeerProcess(latency, folder)
    try:
        yield peer.start()
    finally:
        peer.kill()


# -- the sender's folder ------------------------------------------------------------------------


def phone(n: int) -> str:
    """The ``n``-th French mobile number, written as people type it: +33 6 00 12 34 56."""
    digits = f"{n:08d}"
    return f"+33 6 {digits[0:2]} {digits[2:4]} {digits[4:6]} {digits[6:8]}"


def write_contacts(path: Path, count: int) -> float:
    """Write ``count`` distinct valid recipients; return the seconds it took."""
    if count > 100_000_000:
        raise ValueError("the 06 range holds 100 million numbers")
    start = time.perf_counter()
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("name,phone,email,locale\n")
        for start_n in range(0, count, 10_000):
            out.write(
                "".join(
                    f"Habitant {n},{phone(n)},,fr\n"
                    for n in range(start_n, min(count, start_n + 10_000))
                )
            )
    elapsed = time.perf_counter() - start
    # A sample here; the sender checks every row and reports any invalid one as skipped.
    for n in {0, count - 1, *range(0, count, max(1, count // 97))}:
        if not phonenumbers.is_valid_number(phonenumbers.parse(phone(n), "FR")):
            raise AssertionError(f"{phone(n)} is not a valid French number")
    return elapsed


def write_project(folder: Path, url: str, contacts: Path, rate: str, concurrency: int) -> Path:
    """channels.yaml (SMS only) pointing at the peer, the example incident, a short template."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(REPO / "examples" / "panne-nord.yaml", folder / "incident.yaml")
    # The loader tries fr/sms.txt.j2 in every folder before sms.txt.j2, so the override must
    # sit under fr/ or the shipped fr/ template wins.
    (folder / "templates" / "fr").mkdir(parents=True, exist_ok=True)
    (folder / "templates" / "fr" / "sms.txt.j2").write_text(SMS_TEMPLATE, encoding="utf-8")
    (folder / "channels.yaml").write_text(
        f"""\
organisation: Énergie Nord
defaults: {{locale: fr, timezone: Europe/Paris}}
channels:
  sms:
    type: sms
    from: "{MAGIC_VALID_FROM}"
    recipients: {contacts}
    default_region: FR
    max_segments: 1
    rate: {rate}
    concurrency: {concurrency}
    account_sid: "${{TWILIO_ACCOUNT_SID}}"
    auth_token: "${{TWILIO_AUTH_TOKEN}}"
    api_base_url: {url}
""",
        encoding="utf-8",
    )
    return folder


# -- the sender, in its own process -------------------------------------------------------------


@dataclass
class SendRun:
    """One ``broadcast send`` as seen from outside: its answer, its times and its memory."""

    exit_code: int
    document: dict[str, Any]
    wall: float
    to_first: float | None  # process start to the first accepted message
    peak_rss_mb: float  # ru_maxrss of the whole process
    preflight_peak_mb: float  # largest sampled RSS before the first accepted message
    sending_peak_mb: float  # largest sampled RSS after it
    rss_at: dict[int, float] = field(default_factory=dict)  # sampled RSS at 25/50/75/100 %

    @property
    def sms(self) -> dict[str, Any]:
        return self.document["delivery"][0]

    @property
    def plan(self) -> dict[str, Any]:
        return self.document["channels"][0]


def rss_mb(pid: int) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return None


def run_send(folder: Path, peer: PeerProcess, expected: int, timeout: float) -> SendRun:
    """``python -m broadcast send`` in a child process, watched until it ends or times out."""
    env = isolated_env(folder, BROADCAST_NOW=NOW)
    command = [sys.executable, "-m", "broadcast", "send", "incident.yaml"]
    command += ["--config", "channels.yaml", "--channel", "sms", "--yes", "--json"]
    stdout_path, stderr_path = folder / "send.json", folder / "send.err"
    samples: list[tuple[int, float]] = []  # (accepted so far, RSS in MB)
    first_at: float | None = None
    with stdout_path.open("wb") as stdout, stderr_path.open("wb") as stderr:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=folder, env=env, stdout=stdout, stderr=stderr)
        deadline = start + timeout
        status, usage = 0, None
        try:
            while True:
                pid, status, usage = os.wait4(process.pid, os.WNOHANG)
                if pid == process.pid:
                    break
                if time.perf_counter() > deadline:
                    raise TimeoutError(f"broadcast send still running after {timeout:.0f} s")
                accepted = peer.accepted.value
                if accepted and first_at is None:
                    first_at = time.perf_counter() - start
                memory = rss_mb(process.pid)
                if memory is not None:
                    samples.append((accepted, memory))
                time.sleep(SAMPLE_EVERY)
        except BaseException:
            process.kill()
            process.wait()
            raise
        wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    output = stdout_path.read_text(encoding="utf-8")
    try:
        document = json.loads(output)
    except json.JSONDecodeError:
        errors = stderr_path.read_text(encoding="utf-8", errors="replace")
        raise RuntimeError(
            f"broadcast send printed no JSON: {output[:500]}{errors[-2000:]}"
        ) from None
    before = [m for n, m in samples if n == 0]
    during = [m for n, m in samples if n > 0]
    rss_at: dict[int, float] = {}
    for percent in (25, 50, 75, 100):
        reached = [m for n, m in samples if n >= expected * percent / 100]
        if reached:
            rss_at[percent] = reached[0]
    assert usage is not None
    return SendRun(
        exit_code=process.returncode,
        document=document,
        wall=wall,
        to_first=first_at,
        peak_rss_mb=usage.ru_maxrss / 1024,
        preflight_peak_mb=max(before, default=0.0),
        sending_peak_mb=max(during, default=0.0),
        rss_at=rss_at,
    )


# -- measures on arrival times ------------------------------------------------------------------


def max_in_window(times: Sequence[float], width: float = 1.0) -> int:
    """The most arrivals in any half-open window ``[t, t + width)``; ``times`` sorted."""
    best, first = 0, 0
    for last, moment in enumerate(times):
        while moment - times[first] >= width:
            first += 1
        best = max(best, last - first + 1)
    return best


def rate_first_to_last(times: Sequence[float]) -> float:
    """Messages per second between the first and the last arrival (n - 1 intervals)."""
    if len(times) < 2 or times[-1] == times[0]:
        return float("nan")
    return (len(times) - 1) / (times[-1] - times[0])


def arrivals_over(times: Sequence[float], limit: int, width: float = 1.0) -> int:
    """How many arrivals close a window ``(t - width, t]`` holding more than ``limit``."""
    over, first = 0, 0
    for last, moment in enumerate(times):
        while moment - times[first] >= width:
            first += 1
        over += last - first + 1 > limit
    return over


def gaps_ms(times: Sequence[float]) -> str:
    """Spread of the time between two consecutive arrivals, in milliseconds."""
    gaps = sorted(b - a for a, b in pairwise(times))
    if not gaps:
        return "-"

    def at(q: float) -> float:
        return gaps[min(len(gaps) - 1, int(q * len(gaps)))] * 1000

    return (
        f"min {gaps[0] * 1000:.2f}, p1 {at(0.01):.2f}, median {at(0.5):.2f}, "
        f"p99 {at(0.99):.2f}, max {gaps[-1] * 1000:.1f}"
    )


def busiest_seconds(times: Sequence[float], top: int = 3) -> list[tuple[float, int]]:
    """Where the fullest windows start (relative to the first arrival), for the report."""
    found: list[tuple[int, float]] = []
    first = 0
    for last, moment in enumerate(times):
        while moment - times[first] >= 1.0:
            first += 1
        found.append((last - first + 1, times[first] - times[0]))
    found.sort(reverse=True)
    return [(start, count) for count, start in found[:top]]


# -- the scenarios ------------------------------------------------------------------------------


@dataclass
class Row:
    """One line of the final table."""

    scenario: str
    recipients: int
    figures: dict[str, str]


def check_delivery(run: SendRun, peer: PeerReport, count: int) -> list[str]:
    """Everyone got it exactly once, in one segment; the complaints, if any."""
    complaints = []
    sms, plan = run.sms, run.plan
    if run.exit_code != 0:
        complaints.append(f"exit code {run.exit_code}")
    if (sms["sent"], sms["failed"], sms["skipped"], sms["duplicates"]) != (count, 0, 0, 0):
        complaints.append(
            f"sent {sms['sent']} failed {sms['failed']} skipped {sms['skipped']} "
            f"duplicates {sms['duplicates']} (expected {count} sent)"
        )
    if (plan["segments"], plan["encoding"]) != (1, "GSM-7"):
        complaints.append(f"the text is {plan['segments']} x {plan['encoding']}")
    if len(peer.arrivals) != count or peer.distinct != count:
        complaints.append(f"peer accepted {len(peer.arrivals)}, {peer.distinct} distinct")
    if peer.internal_errors:
        complaints.append(f"peer crashed {peer.internal_errors} times")
    return complaints


def throughput_scenario(work: Path, contacts: Path, count: int) -> tuple[Row, str]:
    print(
        f"\n[1] {count:,} recipients, rate {RATE}/s, concurrency {THROUGHPUT_CONCURRENCY}, "
        f"peer latency {LATENCY * 1000:.0f} ms",
        flush=True,
    )
    with running_peer(LATENCY, work) as peer:
        folder = write_project(
            work / "throughput", peer.url, contacts, f"{RATE}/s", THROUGHPUT_CONCURRENCY
        )
        run = run_send(folder, peer, count, timeout=count / RATE * 2 + 300)
        seen = peer.stop()
    times = seen.arrivals
    complaints = check_delivery(run, seen, count)
    per_second = rate_first_to_last(times)
    window = max_in_window(times)
    verdict = "OK" if window <= RATE and per_second >= 0.95 * RATE and not complaints else "FAIL"
    # The start is where workers set up their clients; the steady state is what follows.
    settled = [t for t in times if t - times[0] >= SETTLE_SECONDS]
    start_offsets = [round((t - times[0]) * 1000) for t in times[:15]]
    print(f"    text: {run.plan['text']!r} ({run.plan['characters']} septets)")
    print(
        f"    busiest 1-s windows (start after first arrival, count): "
        f"{[(round(s, 3), c) for s, c in busiest_seconds(times)]}"
    )
    print(f"    first 15 arrivals, ms after the first: {start_offsets}")
    print(f"    gap between consecutive arrivals, ms: {gaps_ms(times)}")
    print(
        f"    arrivals closing a 1-s window with more than {RATE}: {arrivals_over(times, RATE)}"
        f" of {len(times)}"
    )
    for complaint in complaints:
        print(f"    PROBLEM: {complaint}")
    row = Row(
        "broadcast send, rate 100/s",
        count,
        {
            "msg/s (first→last, at peer)": f"{per_second:.2f}",
            "max in any 1 s": str(window),
            f"same after {SETTLE_SECONDS:g} s": str(max_in_window(settled)),
            "send span s": f"{times[-1] - times[0]:.1f}" if times else "-",
            "wall s": f"{run.wall:.1f}",
            "start→1st msg s": f"{run.to_first:.1f}" if run.to_first else "-",
            "peak RSS MB": f"{run.peak_rss_mb:.1f}",
            "check": verdict + ("" if not complaints else f" ({'; '.join(complaints)})"),
        },
    )
    return row, run.plan["text"]


def plain_loop_scenario(work: Path, count: int, text: str, full: int) -> Row:
    print(
        f"\n[2] plain twilio SDK loop, {count:,} messages one by one, peer latency "
        f"{LATENCY * 1000:.0f} ms",
        flush=True,
    )
    with running_peer(LATENCY, work) as peer:
        http_client = TwilioHttpClient(timeout=15)
        if http_client.session is not None:
            http_client.session.trust_env = False
        client = Client(
            DEFAULT_ACCOUNT_SID,
            DEFAULT_AUTH_TOKEN,
            http_client=http_client,
            environment=NO_EDGE_OR_REGION,
        )
        client.api.base_url = peer.url
        start = time.perf_counter()
        for n in range(count):
            number = phonenumbers.format_number(
                phonenumbers.parse(phone(n), "FR"), phonenumbers.PhoneNumberFormat.E164
            )
            client.messages.create(to=number, from_=MAGIC_VALID_FROM, body=text)
        elapsed = time.perf_counter() - start
        seen = peer.stop()
    per_second = rate_first_to_last(seen.arrivals)
    figures = {
        "msg/s (first→last, at peer)": f"{per_second:.2f}",
        "max in any 1 s": str(max_in_window(seen.arrivals)),
        "send span s": f"{seen.arrivals[-1] - seen.arrivals[0]:.1f}",
        "wall s": f"{elapsed:.1f}",
        "check": "OK" if seen.distinct == count else f"FAIL ({seen.distinct} distinct)",
    }
    if count < full:
        figures["extrapolated"] = (
            f"{full:,} would take ≈{full / (count / elapsed):.0f} s (linear, labelled estimate)"
        )
    return Row(
        "plain SDK loop" + (f" (measured on {count:,})" if count < full else ""), count, figures
    )


def memory_scenario(work: Path, sizes: Sequence[int], max_minutes: float) -> list[Row]:
    rows: list[Row] = []
    seconds_per_recipient: float | None = None
    for count in sizes:
        label = (
            f"[3] {count:,} recipients, rate unlimited, concurrency {MEMORY_CONCURRENCY}, latency 0"
        )
        if seconds_per_recipient is not None:
            projected = seconds_per_recipient * count
            if projected > max_minutes * 60:
                print(f"\n{label}: SKIPPED, projected {projected / 60:.0f} min > {max_minutes} min")
                rows.append(
                    Row(
                        "broadcast send, unlimited",
                        count,
                        {"check": f"skipped: projected {projected / 60:.0f} min"},
                    )
                )
                continue
        print(f"\n{label}", flush=True)
        contacts = work / f"contacts-{count}.csv"
        generation = write_contacts(contacts, count)
        print(f"    CSV generated in {generation:.1f} s ({contacts.stat().st_size / 1e6:.1f} MB)")
        with running_peer(0.0, work) as peer:
            folder = write_project(
                work / f"memory-{count}", peer.url, contacts, "unlimited", MEMORY_CONCURRENCY
            )
            run = run_send(folder, peer, count, timeout=count / 100 + 600)
            seen = peer.stop()
        contacts.unlink()
        seconds_per_recipient = run.wall / count
        complaints = check_delivery(run, seen, count)
        for complaint in complaints:
            print(f"    PROBLEM: {complaint}")
        progress = ", ".join(f"{p}%: {mb:.0f}" for p, mb in run.rss_at.items())
        print(f"    sampled RSS MB as messages went out: {progress}")
        rows.append(
            Row(
                "broadcast send, unlimited",
                count,
                {
                    "msg/s (first→last, at peer)": f"{rate_first_to_last(seen.arrivals):.0f}",
                    "wall s": f"{run.wall:.1f}",
                    "start→1st msg s": f"{run.to_first:.1f}" if run.to_first else "-",
                    "CSV gen s": f"{generation:.1f}",
                    "peak RSS MB": f"{run.peak_rss_mb:.1f}",
                    "preflight peak MB": f"{run.preflight_peak_mb:.1f}",
                    "sending peak MB": f"{run.sending_peak_mb:.1f}",
                    "check": "OK" if not complaints else "FAIL (" + "; ".join(complaints) + ")",
                },
            )
        )
    return rows


def print_table(rows: Sequence[Row]) -> None:
    columns: list[str] = []
    for row in rows:
        columns += [name for name in row.figures if name not in columns]
    headers = ["scenario", "recipients", *columns]
    lines = [
        [row.scenario, f"{row.recipients:,}", *(row.figures.get(c, "") for c in columns)]
        for row in rows
    ]
    # The check and extrapolation columns can be long: they go under the table.
    notes = [c for c in columns if c in ("check", "extrapolated")]
    shown = [i for i, h in enumerate(headers) if h not in notes]
    widths = {i: max(len(headers[i]), *(len(line[i]) for line in lines)) for i in shown}
    print("\n" + "  ".join(headers[i].ljust(widths[i]) for i in shown))
    print("  ".join("-" * widths[i] for i in shown))
    for line in lines:
        print("  ".join(line[i].ljust(widths[i]) for i in shown))
    for number, line in enumerate(lines, start=1):
        for note in notes:
            index = headers.index(note)
            if line[index]:
                print(f"  row {number} {note}: {line[index]}")


def code_state() -> str:
    """The commit measured, and whether the product's files differ from it."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--", "broadcast", "templates"],
            cwd=REPO,
            capture_output=True,
            text=True,
        ).stdout.splitlines()
    except OSError:
        return "not a git checkout"
    return f"commit {head}" + (f" + {len(changed)} uncommitted product files" if changed else "")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=10_000, help="recipients for [1]")
    parser.add_argument(
        "--plain-count", type=int, default=10_000, help="messages for the plain loop [2]"
    )
    parser.add_argument(
        "--sizes",
        default="10000,100000,200000,1000000",
        help="recipient counts for the memory runs [3], comma separated",
    )
    parser.add_argument(
        "--max-minutes",
        type=float,
        default=25.0,
        help="skip a memory run projected (from the previous one) to take longer than this",
    )
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]

    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, repository {REPO}, {code_state()}"
    )
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bench-sms-") as tmp:
        work = Path(tmp)
        contacts = work / f"contacts-{args.count}.csv"
        generation = write_contacts(contacts, args.count)
        print(f"CSV of {args.count:,} recipients generated in {generation:.2f} s (not counted)")
        row, text = throughput_scenario(work, contacts, args.count)
        rows.append(row)
        print_table(rows)
        rows.append(plain_loop_scenario(work, args.plain_count, text, args.count))
        print_table(rows)
        rows.extend(memory_scenario(work, sizes, args.max_minutes))
    print("\nResults")
    print_table(rows)


if __name__ == "__main__":
    main()
