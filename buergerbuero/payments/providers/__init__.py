"""Payment providers: one base class (``base.py``), one registry (``registry.py``), the
built-in test provider (``test.py``); real adapters (XBezahldienste, ePayBL) follow in #4."""
