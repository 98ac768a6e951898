"""This process's Dramatiq broker, chosen by DOWNLINE_BROKER_URL: Redis or RabbitMQ in
production; unset, an in-memory broker whose worker runs inside `downline serve` (embedded).

Imported before the actors are declared, so they bind to it; `dramatiq downline.server.actors`
and `downline worker` get the same broker from the same settings.
"""

import dramatiq
from dramatiq.brokers.stub import StubBroker

from downline.core.config import Settings, get_settings


def make_broker(settings: Settings) -> dramatiq.Broker:
    url = settings.broker_url
    if not url:
        return StubBroker()
    if url.startswith(("redis://", "rediss://")):
        from dramatiq.brokers.redis import RedisBroker

        return RedisBroker(url=url, socket_timeout=10, socket_connect_timeout=5)
    if url.startswith(("amqp://", "amqps://")):
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        return RabbitmqBroker(url=url, socket_timeout=10, connection_attempts=3)
    raise ValueError(f"DOWNLINE_BROKER_URL: unsupported scheme in {url!r} (redis:// or amqp://)")


broker = make_broker(get_settings())
dramatiq.set_broker(broker)


def embedded() -> bool:
    """True when messages stay in this process (no broker configured)."""
    return isinstance(broker, StubBroker)
