"""One trace crosses the services: edge → NATS → translator, and edge → JetStream → analytics.

The services are the real processes, told to trace only by OTEL_* variables; their spans
arrive over OTLP/HTTP at the receiver in this process (see conftest.py).
"""

import os
import time
from typing import Any

from tests.telemetry.conftest import CLAUDE, TracedStack, translated_chat
from tests.telemetry.receiver import ReceivedSpan

SERVER, CONSUMER = 2, 5  # OTLP span kinds


def _trace_of(stack: TracedStack, request_id: str, timeout_s: float = 20.0) -> dict[str, Any]:
    """The request's edge span and the translator and analytics spans of its trace."""
    deadline = time.monotonic() + timeout_s
    found: dict[str, Any] = {}
    while time.monotonic() < deadline:
        spans = stack.receiver.snapshot()
        edge = [
            s
            for s in spans
            if s.service == "ingate-edge" and s.attributes.get("ingate.request_id") == request_id
        ]
        if edge:
            trace = [s for s in spans if s.trace_id == edge[0].trace_id]
            found = {
                "edge": edge[0],
                "translator": [s for s in trace if s.service == "ingate-translator"],
                "analytics": [s for s in trace if s.service == "ingate-analytics"],
            }
            if len(found["translator"]) >= 2 and found["analytics"]:
                return found
        time.sleep(0.1)
    raise AssertionError(f"no complete trace for {request_id} in {timeout_s}s; found {found}")


def test_one_trace_spans_edge_translator_and_analytics(traced_stack: TracedStack) -> None:
    request_id = translated_chat(traced_stack)
    trace = _trace_of(traced_stack, request_id)
    edge: ReceivedSpan = trace["edge"]
    assert edge.kind == SERVER
    assert edge.parent_span_id == ""  # no caller context: the edge starts the trace
    assert edge.name == "POST chat.completions"
    assert edge.attributes["ingate.provider"] == "anthropic"
    assert edge.attributes["gen_ai.request.model"] == CLAUDE
    assert edge.attributes["http.response.status_code"] == 200
    assert edge.attributes["ingate.translated"] is True
    assert edge.attributes["ingate.stream"] is False
    # A translated non-stream request is two translator calls, both children of the edge span.
    names = sorted(span.name for span in trace["translator"])
    assert names == ["translate request", "translate response"]
    assert {span.parent_span_id for span in trace["translator"]} == {edge.span_id}
    backends = {span.attributes["ingate.translate.backend"] for span in trace["translator"]}
    assert backends == {"anthropic-messages"}  # the shape the provider is sent
    # The request's record reached ClickHouse under the same trace.
    (stored,) = trace["analytics"]
    assert stored.kind == CONSUMER
    assert stored.parent_span_id == edge.span_id
    assert stored.attributes["ingate.request_id"] == request_id


def test_the_callers_traceparent_is_the_edge_spans_parent(traced_stack: TracedStack) -> None:
    trace_id, caller_span = os.urandom(16).hex(), os.urandom(8).hex()
    request_id = translated_chat(traced_stack, {"traceparent": f"00-{trace_id}-{caller_span}-01"})
    trace = _trace_of(traced_stack, request_id)
    assert trace["edge"].trace_id == trace_id
    assert trace["edge"].parent_span_id == caller_span
    assert {span.parent_span_id for span in trace["translator"]} == {trace["edge"].span_id}


def test_spans_carry_no_keys_or_credentials(traced_stack: TracedStack) -> None:
    request_id = translated_chat(traced_stack)
    trace = _trace_of(traced_stack, request_id)
    spans = [trace["edge"], *trace["translator"], *trace["analytics"]]
    text = repr([span.attributes for span in spans])
    assert traced_stack.key not in text
    assert "sk-mock" not in text  # the provider credentials the edge holds
