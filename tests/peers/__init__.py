"""Local stand-ins ("peers") for the third-party HTTP APIs that broadcast talks to.

Each peer is a real HTTP server on 127.0.0.1 (OS-chosen port) that speaks the provider's
documented wire protocol closely enough for the provider's own SDK to be pointed at it
unchanged, so tests exercise the real twilio / tweepy code paths instead of mocks:

* :mod:`tests.peers.twilio_api` - Twilio Programmable Messaging (``Messages.json``).
* :mod:`tests.peers.x_api` - X API v2 create-post (``POST /2/tweets``) with OAuth 1.0a.
* :mod:`tests.peers.graph_api` - Facebook Graph API: Page posts and comments.
* :mod:`tests.peers.webhooks` - a webhook receiver for Apprise's json://, ntfy://, mmost://.
* :mod:`tests.peers.base` - the shared threaded server, scripted faults and request recording.
* :mod:`tests.peers.fixtures` - pytest fixtures and client factories for both peers.
"""
