"""``broadcast serve``: channels.yaml and the ledger opened once, the application served by
uvicorn on the host and port given, behind a reverse proxy that terminates TLS.

SIGTERM (systemd's stop, ``docker stop``) and Ctrl-C stop accepting, let the requests in flight
finish (up to ``DRAIN_SECONDS``), close the ledger and exit 0: a STOP being recorded when the
service restarts is recorded, not cut in half.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from broadcast.problems import InputError, Problem
from broadcast.serve.signature import TOKEN_ENV

# Seconds the requests in flight get to finish once asked to stop.
DRAIN_SECONDS = 20


@contextmanager
def _stopping_is_not_dying() -> Iterator[None]:
    """uvicorn catches SIGTERM and SIGINT, drains, then raises the signal again for the handler
    that was there before it: Python's default, which would kill the process (-15) before the
    ledger is closed and the exit code said. A handler of ours is there instead: stopping on
    request is a clean end, exit 0."""
    asked = (signal.SIGTERM, signal.SIGINT)
    before = {sig: signal.signal(sig, lambda *_: None) for sig in asked}
    try:
        yield
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)


def serve(
    config: Path | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    state: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    """Serve until stopped; the exit code (0 once stopped cleanly)."""
    import uvicorn

    from broadcast.input.config import config_path, load_config
    from broadcast.ledger.location import state_folder
    from broadcast.ledger.sqlite import Ledger, LedgerFault
    from broadcast.serve.app import create_app
    from broadcast.serve.clock import serve_clock
    from broadcast.serve.logs import EventLog

    environ = os.environ if environ is None else environ
    path = config_path(config, environ)
    loaded = load_config(path, environ)
    if loaded.serve is None:
        raise InputError(
            [
                Problem(
                    "there is no serve: section, so broadcast cannot tell which address Twilio "
                    "signs its webhooks for; add serve: {public_url: https://alerts.example.org} "
                    "(the address your reverse proxy answers on)",
                    path,
                    None,
                    "serve",
                )
            ]
        )
    token = environ.get(TOKEN_ENV, "")
    if not token:
        raise InputError(
            [
                Problem(
                    f"{TOKEN_ENV} is not set: serve checks every webhook's signature with the "
                    "account's auth token, and refuses to start without it"
                )
            ]
        )
    clock = serve_clock(environ)
    try:
        folder = state_folder(state, loaded.folder, dict(environ))
        ledger = Ledger(folder, environ=environ, address=loaded.ledger)
    except LedgerFault as fault:
        raise InputError([Problem(str(fault))]) from fault
    try:
        log = EventLog()
        app = create_app(loaded, ledger, auth_token=token, clock=clock, log=log)
        server = uvicorn.Server(
            uvicorn.Config(
                app,
                host=host,
                port=port,
                lifespan="off",
                access_log=False,  # our own log, which masks numbers (broadcast.serve.logs)
                log_config=None,
                server_header=False,
                timeout_graceful_shutdown=DRAIN_SECONDS,
                # Twilio's webhooks are small; a slow client is not kept forever.
                timeout_keep_alive=5,
                h11_max_incomplete_event_size=16 * 1024,
            )
        )
        log("starting", host=host, port=port, public_url=loaded.serve.public_url)
        with _stopping_is_not_dying():
            try:
                server.run()
            except SystemExit:
                # uvicorn exits when it cannot listen (its line above says why); anything
                # else is not ours to swallow.
                if server.started:
                    raise
    finally:
        ledger.close()
    if not server.started:
        log("stopped", reason="could not listen", host=host, port=port)
        raise InputError(
            [
                Problem(
                    f"cannot listen on {host}:{port}: another program uses the port, or the "
                    "address is not one of this machine's; choose another --port or --host"
                )
            ]
        )
    log("stopped", reason="asked to stop")
    return 0
