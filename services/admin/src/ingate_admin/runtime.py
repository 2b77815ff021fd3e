"""What every admin handler shares: settings, the NATS connection, the token store, the prices."""

from dataclasses import dataclass

from nats.aio.client import Client
from nats.js import JetStreamContext

from ingate_config import Settings
from ingate_nats.admin_tokens import AdminTokenStore
from ingate_pricing import PriceTable

IngateConfig = Settings


@dataclass
class AdminRuntime:
    config: IngateConfig
    client: Client
    js: JetStreamContext
    tokens: AdminTokenStore
    # A route may not be named after a real model the price catalog knows (loaded on first use).
    prices: PriceTable
