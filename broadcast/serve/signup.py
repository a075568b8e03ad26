"""Residents who sign themselves up, on ``broadcast serve`` (docs/signup.md).

- ``GET /subscribe``: the form (phone and/or email, language, postcode, consent, CSRF token).
- ``POST /subscribe``: a pending sign-up per address; a 6-digit code by SMS for a phone (the
  answer is the code form), a link by email for an address. The answer is the same page, sent
  in the same way, whether the address was known or not: the messages leave after the page
  (a background task), and a known address is told so, never the one asking.
- ``POST /subscribe/confirm``: the code (with the form's ``ref``) or the email link's
  ``token``; ``GET /subscribe/confirm?token=…`` shows a button and confirms nothing (a mail
  scanner's prefetch must not sign anyone up).
- ``GET``/``POST /unsubscribe?token=…``: RFC 8058 one-click unsubscribe (the POST ends it).
- ``GET /me?token=…``: what is held, with a button that erases it (``POST``); ``GET /me`` asks
  for the address to send that link to.

These are not Twilio's webhooks: no signature is asked. Each form carries a signed CSRF token
tied to a cookie; sign-up (and asking for the /me link) is limited to 5 attempts per address
and per client address in 10 minutes, a confirmation to 20 per client address; a code is
tried 5 times at most and lives 15 minutes.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote

from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from broadcast.serve import signup_messages as messages
from broadcast.serve.limits import RateLimit, TooLarge, read_bounded
from broadcast.serve.signup_pages import (
    LANGUAGES,
    button_form,
    code_form,
    notice,
    page,
    subscribe_form,
    t,
)
from broadcast.serve.tokens import CSRF_COOKIE, LINKS_KEY, Signer, client_address

if TYPE_CHECKING:
    from broadcast.ledger.sqlite import Ledger
    from broadcast.serve.webhook import Served

# A form is a few hundred bytes.
MAX_FORM = 8 * 1024
ATTEMPTS = 5
WINDOW_SECONDS = 600.0
CONFIRMS_PER_CLIENT = 20
CODE_SECONDS = 15 * 60
# A link to what is held lives a day: a forwarded or old email opens nothing for long.
ME_SECONDS = 24 * 3600
CSP = "default-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
_POSTCODE = re.compile(r"^[0-9A-Z][0-9A-Z -]{1,9}$")


@dataclass
class SignupLimits:
    """The sliding windows of the sign-up pages (kept by each serve process)."""

    per_client: RateLimit = field(default_factory=lambda: RateLimit(ATTEMPTS, WINDOW_SECONDS))
    per_address: RateLimit = field(default_factory=lambda: RateLimit(ATTEMPTS, WINDOW_SECONDS))
    confirms: RateLimit = field(
        default_factory=lambda: RateLimit(CONFIRMS_PER_CLIENT, WINDOW_SECONDS)
    )


Endpoint = Callable[[Request], Awaitable[Response]]


def routes(served: Served, limits: SignupLimits | None = None) -> list[Route]:
    return Signup(served, limits or SignupLimits()).routes()


class Signup:
    def __init__(self, served: Served, limits: SignupLimits) -> None:
        self.served = served
        self.limits = limits
        self._signer: Signer | None = None
        assert served.config.serve is not None
        self.public_url = served.config.serve.public_url
        self.trusted = served.config.serve.trusted_proxies
        self.org = served.config.organisation

    def routes(self) -> list[Route]:
        pages = [
            ("/subscribe", self.subscribe_page, "GET"),
            ("/subscribe", self.subscribe, "POST"),
            ("/subscribe/confirm", self.confirm_page, "GET"),
            ("/subscribe/confirm", self.confirm, "POST"),
            ("/unsubscribe", self.unsubscribe_page, "GET"),
            ("/unsubscribe", self.unsubscribe, "POST"),
            ("/me", self.me_page, "GET"),
            ("/me", self.me, "POST"),
        ]
        return [
            Route(path, self._guarded(path, page), methods=[method]) for path, page, method in pages
        ]

    def _guarded(self, path: str, endpoint: Endpoint) -> Endpoint:
        """A ledger that fails (a database down, a full disk) is a 500 page and one log line
        naming the fault, never whom it was about."""

        async def guarded(request: Request) -> Response:
            try:
                return await endpoint(request)
            except Exception as fault:
                self.served.log("failed", path=path, status=500, reason=type(fault).__name__)
                language = self._language(request)
                return self._html(request, language, "500", notice("Internal Server Error"), 500)

        return guarded

    # -- the parts every page shares ------------------------------------------------------

    @property
    def signer(self) -> Signer:
        if self._signer is None:
            key = self.served.with_ledger(lambda ledger: ledger.derived_key(LINKS_KEY))
            self._signer = Signer(key)
        return self._signer

    async def _ledger(self, work: Callable[[Ledger], Any]) -> Any:
        return await run_in_threadpool(self.served.with_ledger, work)

    def _language(self, request: Request, form: dict[str, str] | None = None) -> str:
        asked = request.query_params.get("lang", "")
        if asked in LANGUAGES:
            return asked
        if form and form.get("language") in LANGUAGES:
            return form["language"]
        for part in request.headers.get("accept-language", "").split(","):
            code = part.split(";")[0].strip()[:2].lower()
            if code in LANGUAGES:
                return code
        default = (self.served.config.defaults.locale or "en")[:2]
        return default if default in LANGUAGES else "en"

    def _client(self, request: Request) -> str:
        peer = request.client.host if request.client else ""
        return client_address(peer, request.headers.get("x-forwarded-for", ""), self.trusted)

    def _csrf(self, request: Request) -> tuple[str, str | None]:
        """(the form's token, the cookie to set when the browser has none yet)."""
        cookie = request.cookies.get(CSRF_COOKIE, "")
        if re.fullmatch(r"[A-Za-z0-9_-]{16,64}", cookie):
            return self.signer.make("csrf", 7200, n=cookie), None
        nonce, token = self.signer.new_csrf()
        return token, nonce

    def _html(
        self,
        request: Request,
        language: str,
        title: str,
        body: str,
        status: int = 200,
        cookie: str | None = None,
        background: BackgroundTask | None = None,
    ) -> Response:
        response = HTMLResponse(page(language, title, body), status, background=background)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"  # tokens are in the URLs
        response.headers["Cache-Control"] = "no-store"
        if cookie is not None:
            response.set_cookie(
                CSRF_COOKIE,
                cookie,
                httponly=True,
                samesite="strict",
                secure=request.url.scheme == "https"
                or request.headers.get("x-forwarded-proto") == "https",
                path="/",
            )
        return response

    async def _form(self, request: Request) -> dict[str, str] | None:
        try:
            body = await read_bounded(request.stream(), MAX_FORM)
        except TooLarge:
            return None
        return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))

    def _too_large(self, request: Request, language: str) -> Response:
        return self._html(request, language, "413", notice("Request body too large"), 413)

    def _csrf_refused(self, request: Request, language: str) -> Response:
        self.served.log("refused", path=request.url.path, status=403, reason="csrf")
        return self._html(
            request, language, t(language, "title"), notice(t(language, "csrf"), "alert"), 403
        )

    def _csrf_valid(self, request: Request, form: dict[str, str]) -> bool:
        return self.signer.csrf_ok(form.get("csrf", ""), request.cookies.get(CSRF_COOKIE, ""))

    def _send_later(self, work: list[Callable[[], object]]) -> BackgroundTask:
        def run() -> None:
            for job in work:
                try:
                    job()
                except Exception as fault:  # a provider's fault is logged, never shown
                    self.served.log("signup-message-failed", reason=type(fault).__name__)

        return BackgroundTask(run)

    # -- GET /subscribe, POST /subscribe ------------------------------------------------

    async def subscribe_page(self, request: Request) -> Response:
        language = self._language(request)
        csrf, cookie = self._csrf(request)
        body = subscribe_form(language, self.org, csrf, {}, [])
        return self._html(request, language, t(language, "title"), body, cookie=cookie)

    def _checked(self, form: dict[str, str], language: str) -> tuple[dict[str, str], list[str]]:
        """The form's addresses normalised, or what is wrong with it (said in ``language``)."""
        from broadcast.input.recipients import _email_normaliser, _phone_normaliser

        errors: list[str] = []
        values: dict[str, str] = {}
        phone = form.get("phone", "").strip()[:40]
        email = form.get("email", "").strip()[:254]
        if not phone and not email:
            errors.append(t(language, "missing"))
        if phone:
            sms = messages.channel_of(self.served.config, "sms")
            region = (
                getattr(self.served.config.channels[sms], "default_region", None) if sms else None
            )
            number, _ = _phone_normaliser(region)(phone)
            if number is None:
                errors.append(t(language, "bad_phone"))
            else:
                values["phone"] = number
        if email:
            address, _ = _email_normaliser()(email)
            if address is None:
                errors.append(t(language, "bad_email"))
            else:
                values["email"] = address
        postcode = " ".join(form.get("postcode", "").upper().split())
        if not _POSTCODE.match(postcode):
            errors.append(t(language, "bad_postcode"))
        values["postcode"] = postcode
        if form.get("consent") != "yes":
            errors.append(t(language, "no_consent"))
        chosen = form.get("language", "")
        values["language"] = chosen if chosen in LANGUAGES else language
        return values, errors

    async def subscribe(self, request: Request) -> Response:
        form = await self._form(request)
        language = self._language(request, form)
        if form is None:
            return self._too_large(request, language)
        if not self._csrf_valid(request, form):
            return self._csrf_refused(request, language)
        csrf, _ = self._csrf(request)
        title = t(language, "title")
        if not self.limits.per_client.admit(self._client(request)):
            self.served.log("refused", path="/subscribe", status=429, reason="client rate")
            body = subscribe_form(language, self.org, csrf, {}, [t(language, "too_many")])
            return self._html(request, language, title, body, 429)
        values, errors = self._checked(form, language)
        if errors:
            shown = {k: form.get(k, "") for k in ("phone", "email", "postcode", "language")}
            body = subscribe_form(language, self.org, csrf, shown, errors)
            return self._html(request, language, title, body, 400)
        addresses = [(k, values[k]) for k in ("phone", "email") if k in values]
        keys = await self._ledger(lambda ledger: [ledger.recipient_key(a) for _, a in addresses])
        if not all([self.limits.per_address.admit(key) for key in keys]):
            self.served.log("refused", path="/subscribe", status=429, reason="address rate")
            body = subscribe_form(language, self.org, csrf, {}, [t(language, "too_many")])
            return self._html(request, language, title, body, 429)
        who = values["language"]
        consent = t(who, "consent", org=self.org)
        now = self.served.clock()

        def record(ledger: Ledger) -> list[Any]:
            return [
                ledger.sign_up(kind, address, who, values["postcode"], consent, now)  # type: ignore[arg-type]
                for kind, address in addresses
            ]

        signed_up = await self._ledger(record)
        work: list[Callable[[], object]] = []
        ref = ""
        for (kind, address), done in zip(addresses, signed_up, strict=True):
            work.append(self._message_job(kind, address, who, done))
            if kind == "phone":
                ref = self.signer.make("code", CODE_SECONDS, k=done.address_key)
        self.served.log("signup", kinds=",".join(k for k, _ in addresses))
        later = self._send_later(work)
        if ref:
            body = code_form(language, csrf, ref, [], "email" in values)
            return self._html(request, language, t(language, "code_title"), body, background=later)
        body = notice(t(language, "email_sent"))
        return self._html(request, language, title, body, background=later)

    def _message_job(
        self, kind: str, address: str, language: str, done: Any
    ) -> Callable[[], object]:
        config = self.served.config
        org = self.org
        if kind == "phone":
            if done.known:
                text = messages.words(language, "known_sms", org=org)
            else:
                text = messages.words(language, "code_sms", org=org, code=done.secret)
            return partial(messages.send_sms, config, address, text)
        if done.known:
            link = self.link("/me", self.signer.make("me", ME_SECONDS, i=done.id), language)
            subject = messages.words(language, "known_subject", org=org)
            text = messages.words(language, "known_text", org=org, link=link)
        else:
            token = self.signer.make("confirm", CODE_SECONDS, k=done.address_key, s=done.secret)
            link = self.link("/subscribe/confirm", token, language)
            subject = messages.words(language, "link_subject", org=org)
            text = messages.words(language, "link_text", org=org, link=link)
        return partial(messages.send_email, config, address, subject, text)

    def link(self, path: str, token: str, language: str) -> str:
        return f"{self.public_url}{path}?token={quote(token)}&lang={language}"

    # -- confirming ---------------------------------------------------------------------

    async def confirm_page(self, request: Request) -> Response:
        """The email link's page: a button, nothing confirmed by the GET itself."""
        language = self._language(request)
        csrf, cookie = self._csrf(request)
        token = request.query_params.get("token", "")[:1000]
        body = notice(t(language, "confirm_intro")) + button_form(
            f"/subscribe/confirm?lang={language}", csrf, {"token": token}, t(language, "confirm")
        )
        return self._html(request, language, t(language, "confirm_title"), body, cookie=cookie)

    async def confirm(self, request: Request) -> Response:
        form = await self._form(request)
        language = self._language(request, form)
        if form is None:
            return self._too_large(request, language)
        if not self._csrf_valid(request, form):
            return self._csrf_refused(request, language)
        csrf, _ = self._csrf(request)
        if not self.limits.confirms.admit(self._client(request)):
            self.served.log("refused", path="/subscribe/confirm", status=429, reason="client rate")
            body = notice(t(language, "too_many"), "alert")
            return self._html(request, language, t(language, "confirm_title"), body, 429)
        now = self.served.clock()
        if form.get("token"):
            data = self.signer.read(form["token"], "confirm")
            if data is None:
                return self._dead(request, language)
            key, secret = str(data["k"]), str(data["s"])
        else:
            ref = form.get("ref", "")
            data = self.signer.read(ref, "code")
            if data is None:
                return self._dead(request, language)
            key, secret = str(data["k"]), form.get("code", "").strip()[:12]
        outcome = await self._ledger(lambda ledger: ledger.confirm_subscriber(key, secret, now))
        self.served.log("confirm", outcome=outcome)
        if outcome == "wrong":
            body = code_form(language, csrf, form.get("ref", ""), [t(language, "wrong")], False)
            return self._html(request, language, t(language, "code_title"), body, 400)
        if outcome == "dead":
            return self._dead(request, language)
        found = await self._ledger(lambda ledger: ledger.subscriber_id(key))
        me = self.link("/me", self.signer.make("me", ME_SECONDS, i=found), language)
        body = notice(t(language, "done", org=self.org)) + (
            f'<p><a href="{me.replace("&", "&amp;")}">{t(language, "me_link")}</a></p>'
        )
        return self._html(request, language, t(language, "done_title"), body)

    def _dead(self, request: Request, language: str) -> Response:
        body = notice(t(language, "dead"), "alert") + (
            f'<p><a href="/subscribe?lang={language}">{t(language, "title")}</a></p>'
        )
        return self._html(request, language, t(language, "confirm_title"), body, 400)

    # -- unsubscribing (RFC 8058) ---------------------------------------------------------

    async def unsubscribe_page(self, request: Request) -> Response:
        language = self._language(request)
        token = request.query_params.get("token", "")[:1000]
        body = notice(t(language, "unsub_intro")) + button_form(
            f"/unsubscribe?token={quote(token)}&lang={language}",
            None,
            {},
            t(language, "unsub_button"),
        )
        return self._html(request, language, t(language, "unsub_title"), body)

    async def unsubscribe(self, request: Request) -> Response:
        """RFC 8058: the mailbox provider POSTs ``List-Unsubscribe=One-Click`` to the link, with
        no cookie and no form of ours: the signed token is the proof."""
        language = self._language(request)
        if await self._form(request) is None:
            return self._too_large(request, language)
        data = self.signer.read(request.query_params.get("token", ""), "unsubscribe")
        if data is not None:
            ended = await self._ledger(lambda ledger: ledger.forget_subscriber(int(data["i"])))
            self.served.log("unsubscribed", ended=ended)
        # The same answer for a link already used: unsubscribing twice is not an error.
        body = notice(t(language, "unsub_done"))
        return self._html(request, language, t(language, "unsub_title"), body)

    # -- what is held, and erasing it ----------------------------------------------------

    async def me_page(self, request: Request) -> Response:
        language = self._language(request)
        csrf, cookie = self._csrf(request)
        token = request.query_params.get("token", "")
        if not token:
            body = notice(t(language, "me_ask_intro")) + (
                f'<form method="post" action="/me?lang={language}">'
                f'<input type="hidden" name="csrf" value="{csrf}">'
                f'<p><label for="address">{t(language, "me_address_field")}</label><br>'
                '<input id="address" name="address" required></p>'
                f'<p><button type="submit">{t(language, "me_ask_button")}</button></p></form>'
            )
            return self._html(request, language, t(language, "me_ask_title"), body, cookie=cookie)
        data = self.signer.read(token, "me")
        held = None
        if data is not None:
            held = await self._ledger(lambda ledger: ledger.subscriber(int(data["i"])))
        if held is None:
            return self._html(
                request, language, t(language, "me_title"), notice(t(language, "me_gone")), 404
            )
        from html import escape

        rows = [
            ("me_kind", held.kind),
            ("me_address", held.address),
            ("me_language", held.language),
            ("me_postcode", held.postcode),
            ("me_consent", held.consent_text),
            ("me_consent_at", held.consent_at),
            ("me_via", held.via),
            ("me_confirmed", held.confirmed_at or t(language, "me_pending")),
        ]
        table = "<dl>" + "".join(
            f"<dt>{escape(t(language, k))}</dt><dd>{escape(v)}</dd>" for k, v in rows
        )
        table += "</dl>"
        body = table + button_form(
            f"/me?token={quote(token)}&lang={language}", csrf, {}, t(language, "me_delete")
        )
        return self._html(request, language, t(language, "me_title"), body, cookie=cookie)

    async def me(self, request: Request) -> Response:
        form = await self._form(request)
        language = self._language(request, form)
        if form is None:
            return self._too_large(request, language)
        if not self._csrf_valid(request, form):
            return self._csrf_refused(request, language)
        token = request.query_params.get("token", "")
        if token:
            data = self.signer.read(token, "me")
            erased = False
            if data is not None:
                erased = await self._ledger(lambda ledger: ledger.forget_subscriber(int(data["i"])))
            self.served.log("erased", erased=erased)
            said = t(language, "me_erased" if erased else "me_gone")
            return self._html(
                request, language, t(language, "me_title"), notice(said), 200 if erased else 404
            )
        return await self._send_me_link(request, form, language)

    async def _send_me_link(
        self, request: Request, form: dict[str, str], language: str
    ) -> Response:
        """The /me link to an address that is signed up: the same answer for any address."""
        from broadcast.input.recipients import _email_normaliser, _phone_normaliser

        title = t(language, "me_ask_title")
        if not self.limits.per_client.admit(self._client(request)):
            return self._html(request, language, title, notice(t(language, "too_many")), 429)
        raw = form.get("address", "").strip()[:254]
        kind = "email" if "@" in raw else "phone"
        if kind == "email":
            address = _email_normaliser()(raw)[0]
        else:
            sms = messages.channel_of(self.served.config, "sms")
            region = (
                getattr(self.served.config.channels[sms], "default_region", None) if sms else None
            )
            address = _phone_normaliser(region)(raw)[0]
        later = None
        if address is not None:
            key = await self._ledger(lambda ledger: ledger.recipient_key(address))
            if not self.limits.per_address.admit(key):
                return self._html(request, language, title, notice(t(language, "too_many")), 429)
            held = await self._ledger(lambda ledger: ledger.subscriber_of(address))
            if held is not None:
                link = self.link(
                    "/me", self.signer.make("me", ME_SECONDS, i=held.id), held.language
                )
                config, org = self.served.config, self.org
                if kind == "email":
                    subject = messages.words(held.language, "me_subject", org=org)
                    text = messages.words(held.language, "me_text", org=org, link=link)
                    job: Callable[[], object] = partial(
                        messages.send_email, config, address, subject, text
                    )
                else:
                    text = messages.words(held.language, "me_sms", org=org, link=link)
                    job = partial(messages.send_sms, config, address, text)
                later = self._send_later([job])
        return self._html(
            request, language, title, notice(t(language, "me_asked")), background=later
        )
