"""The shared response cache (DESIGN.md, "Cache"): whether a request uses it, the name its answer
is kept under, the store every edge shares, and the answer recorded on its way to the caller."""

from ingate_edge.cache.choice import CacheChoice, choose
from ingate_edge.cache.entry import CachedAnswer, entry_name
from ingate_edge.cache.recorder import AnswerRecorder, with_cache_header
from ingate_edge.cache.store import ResponseCache

__all__ = [
    "AnswerRecorder",
    "CacheChoice",
    "CachedAnswer",
    "ResponseCache",
    "choose",
    "entry_name",
    "with_cache_header",
]
