"""Delivery to the citizen's BundID inbox (Zentrales Bürgerpostfach, ZBP).

- ``base``: the interface any inbox backend implements (:class:`InboxBackend`) and the
  message it sends.
- ``protocol``: the ZBP's wire format as this adapter assumes it — every assumption about
  paths, fields and answers is there and nowhere else (docs/identity-zbp.md lists them).
- ``http``: the real adapter, over HTTPS with OAuth2 client credentials and/or mutual TLS.
- ``conf``: which backend the settings select (none without ``ZBP_URL``).
- ``services``: :func:`~.services.inbox_send`, the door the rest of the product uses.
- ``delivery`` and ``tasks``: the background delivery with retries, like the email outbox.
- ``testing``: a local stand-in ZBP (a real HTTP server) and its pytest fixture.
"""
