"""What Ingate knows about each provider API format, in one module per format.

`FORMATS` maps each `Format` name to its `ProviderFormat`: the built-in provider's
address and key variable, credential headers, endpoint paths and the base-URL rule,
stream framing, the usage reader (and the generated text a stream's estimate counts) and
the error envelope.
"""

from ingate_providers.endpoint import Endpoint, Shape
from ingate_providers.errors import ErrorKind
from ingate_providers.format import Format, Framing, ProviderFormat
from ingate_providers.gemini import google_status
from ingate_providers.registry import FALLBACK_FORMAT, FORMATS, STREAM_CONTENT_TYPES
from ingate_providers.usage import Reported, Usage

__all__ = [
    "FALLBACK_FORMAT",
    "FORMATS",
    "STREAM_CONTENT_TYPES",
    "Endpoint",
    "ErrorKind",
    "Format",
    "Framing",
    "ProviderFormat",
    "Reported",
    "Shape",
    "Usage",
    "google_status",
]
