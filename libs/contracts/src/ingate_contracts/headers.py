"""HTTP header names that form Ingate's public contract (all lower-case, as ASGI delivers them)."""

from typing import Final

REQUEST_ID: Final = "x-ingate-request-id"
PROVIDER: Final = "x-ingate-provider"
TRANSLATE: Final = "x-ingate-translate"
USER_ID: Final = "x-ingate-user-id"
SESSION_ID: Final = "x-ingate-session-id"

# Every request header starting with this prefix is Ingate's own and is never sent upstream.
INGATE_PREFIX: Final = "x-ingate-"
