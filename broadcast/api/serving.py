"""``broadcast serve``: the web application Twilio calls back (inbound SMS, the call-in line,
status callbacks), served until stopped. Starlette and uvicorn load only when it starts."""

from __future__ import annotations

from pathlib import Path


def serve(
    config: Path | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    state: Path | None = None,
) -> int:
    """Serve Twilio's webhooks on ``host``:``port`` until SIGTERM or Ctrl-C; the exit code."""
    from broadcast.serve.server import serve as run

    return run(config, host=host, port=port, state=state)
