"""``broadcast serve``: the small web application Twilio calls back, so that broadcast listens as
well as speaks: inbound SMS (STOP and START, HELP, replies), the call-in line and the status
callbacks of the messages and calls it sent.

One module per thing it does: ``app`` (the route table, the signature check, the body limit,
``/healthz``), ``webhook`` (what a handler is given), ``signature``, ``limits`` (body size and
the per-number rate), ``logs`` (one JSON line per event, no personal data), ``keywords`` (STOP,
START, HELP and the classification of replies), ``sms`` (inbound SMS), ``voice`` (the call-in
line), ``status_callbacks`` (receipts as they happen) and ``server`` (uvicorn, started and
stopped cleanly). Starlette and uvicorn are imported only here: no other command pays for them.
"""
