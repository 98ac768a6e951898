"""This process's Dramatiq broker, chosen by DOWNLINE_BROKER_URL: Redis or RabbitMQ in
production; unset, an in-memory broker whose worker runs inside `downline serve` (embedded).

Imported before the actors are declared, so they bind to it; `dramatiq downline.server.actors`
and `downline worker` get the same broker from the same settings.
"""

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import dramatiq
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import CurrentMessage

from downline.core.config import Settings, get_settings
from downline.server.startup import FreezeAtBoot


def make_broker(settings: Settings) -> dramatiq.Broker:
    url = settings.broker_url
    if not url:
        return StubBroker()
    if url.startswith(("redis://", "rediss://")):
        from dramatiq.brokers.redis import RedisBroker

        return RedisBroker(url=url, socket_timeout=10, socket_connect_timeout=5)
    if url.startswith(("amqp://", "amqps://")):
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        # Dramatiq takes a URL or pika parameters, not both: the timeouts ride in the URL's
        # query (where an operator's own values win). Publisher confirms: a send returns once
        # RabbitMQ has the message, so a lost one is an error here, not a silent drop.
        urls = ";".join(_with_defaults(u, AMQP_DEFAULTS) for u in url.split(";"))
        return RabbitmqBroker(url=urls, confirm_delivery=True)
    raise ValueError(f"DOWNLINE_BROKER_URL: unsupported scheme in {url!r} (redis:// or amqp://)")


AMQP_DEFAULTS = {
    "socket_timeout": "10",
    "stack_timeout": "15",
    "blocked_connection_timeout": "30",
    "connection_attempts": "3",
    "retry_delay": "1",
    "heartbeat": "60",
}


def _with_defaults(url: str, defaults: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = defaults | dict(parse_qsl(parts.query))
    return urlunsplit(parts._replace(query=urlencode(query)))


PING_SECONDS = 3.0


def ping() -> None:
    """Raise unless the broker answers now (readiness), within about PING_SECONDS.

    Redis: PING. RabbitMQ: a fresh connection and channel, closed again (the broker's own
    connections are per thread and cached, so touching one proves nothing once it is open)."""
    if hasattr(broker, "client"):  # Redis
        broker.client.ping()
        return
    parameters = getattr(broker, "parameters", None)
    if parameters is None:  # the in-memory broker
        return
    import copy

    import pika

    # One attempt at each of the broker's nodes, as pika would try them.
    candidates = [
        copy.deepcopy(p) for p in (parameters if isinstance(parameters, list) else [parameters])
    ]
    for candidate in candidates:
        candidate.connection_attempts = 1
        candidate.socket_timeout = PING_SECONDS
        candidate.stack_timeout = PING_SECONDS
        candidate.blocked_connection_timeout = PING_SECONDS
    with pika.BlockingConnection(candidates) as connection:
        connection.channel().close()


broker = make_broker(get_settings())
# The actors note in the message they run which job they claimed (server/actors.py).
broker.add_middleware(CurrentMessage())
broker.add_middleware(FreezeAtBoot())
dramatiq.set_broker(broker)
if get_settings().tracing:
    # Here, so that `downline worker` processes trace their jobs as the API does.
    from downline.server import tracing

    tracing.start(get_settings(), broker)


def embedded() -> bool:
    """True when messages stay in this process (no broker configured)."""
    return isinstance(broker, StubBroker)
