"""What every admin handler shares: settings, the NATS connection, the token store."""

from dataclasses import dataclass

from nats.aio.client import Client
from nats.js import JetStreamContext

from ingate_config import Settings
from ingate_nats.admin_tokens import AdminTokenStore

IngateConfig = Settings


@dataclass
class AdminRuntime:
    config: IngateConfig
    client: Client
    js: JetStreamContext
    tokens: AdminTokenStore
