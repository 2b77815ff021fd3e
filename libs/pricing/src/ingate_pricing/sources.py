"""Where a price came from, as `ingate prices show` prints it."""

from importlib.metadata import version
from typing import Final

# Read from the installed package's metadata: importing the catalog itself takes most of a second.
CATALOG_SOURCE: Final = f"genai-prices {version('genai-prices')}"
OVERRIDE_SOURCE: Final = "override (prices: / INGATE_PRICES_FILE)"
