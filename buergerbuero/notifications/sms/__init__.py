"""SMS to citizens' mobile phones, through a gateway chosen in the settings.

- ``base``: the interface every gateway implements (:class:`~.base.SmsGateway`) and its two
  kinds of failure: :class:`~.base.GatewayUnavailable` (try again later) and
  :class:`~.base.MessageRejected` (an operator must act).
- ``console``: the default; writes each SMS to the log, sends nothing.
- ``seven``: the adapter for seven.io (formerly sms77), a German SMS provider, over its
  REST API.
- ``registry``: the gateways by name and the one ``SMS_BACKEND`` selects.
- ``checks``: system checks of the configuration.
- ``delivery`` and ``tasks``: the background delivery with retries, like the email outbox.
- ``testing``: a local stand-in for the seven.io API (a real HTTP server) and its fixture.

The door the rest of the product uses is ``notifications.services.send_sms``.
"""
