"""`ingate analytics` and `ingate usage` as real processes, the way an operator runs them.

These tests run their own nats-server: the durable consumer `analytics` and the usage
queue group are shared by every analytics process on a server, so one started elsewhere in
the session (the end-to-end suite has one) would take half of these records into its own
database, and answer these usage queries.
"""

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import msgspec
import pytest
from nats.js import JetStreamContext

from ingate_cli.invocation import is_it_running
from ingate_config import EventsConfig
from ingate_contracts import RequestRecord
from ingate_contracts.usage import UsageReply
from ingate_nats import NatsServer, connect, ensure_event_streams
from tests.analytics.processes import lane_usage, query_data_dir, start_analytics
from tests.analytics.support import (
    ROWS_SQL,
    SESSION_ROLLUP_SQL,
    USER_ROLLUP_SQL,
    Lane,
    expected_sessions,
    expected_users,
    lane_parameters,
    make_records,
    ours,
    publish,
    session_rollup_of,
    session_rollup_rows,
    user_rollup_of,
    user_rollup_rows,
)
from tests.support.nats import running_nats
from tests.support.processes import clean_env, free_port, run_cli
from tests.support.waiting import eventually


@pytest.fixture(scope="module")
def nats_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    """This module's own server (see the module docstring); it shadows the session's."""
    with running_nats(tmp_path_factory.mktemp("jetstream-analytics")) as server:
        yield server


@pytest.fixture(scope="module")
async def js(nats_server: NatsServer) -> AsyncIterator[JetStreamContext]:
    client = await connect(nats_server.url, "analytics-process-tests")
    context = client.jetstream()
    await ensure_event_streams(context, EventsConfig())
    yield context
    await client.close()


async def counted_exactly(
    nats_url: str, lane: Lane, records: list[RequestRecord], duplicates: int = 0
) -> bool:
    """The service counts the lane's records exactly, having skipped at least `duplicates` copies."""
    reply = await lane_usage(nats_url, lane)
    return (
        reply is not None
        and (reply.users, reply.sessions) == (expected_users(records), expected_sessions(records))
        and reply.stats.duplicates >= duplicates
    )


async def test_usage_command_reports_exact_totals_per_user_and_session(
    js: JetStreamContext, nats_server: NatsServer, logs_dir: Path, tmp_path: Path
) -> None:
    lane = Lane.new()
    records = make_records(lane, 150, users=3, sessions=4, seed=11)
    service = await start_analytics(nats_server.url, tmp_path / "data", logs_dir, "analytics-usage")
    try:
        await publish(js, lane, records)
        # Copies under new message ids, as an edge's spool re-publishes after an outage: of
        # records older than the service's trusted window (60 s), which it must look up. (A
        # copy of a fresh record would be trusted, and stored again when its original had
        # already been written in an earlier batch: a case JetStream's duplicate window rules out.)
        copies = [r for r in records if time.time() - r.ts > 120][:15]
        assert len(copies) == 15
        await publish(js, lane, copies, again=True)
        # The copies come last: the totals are exact before they are skipped, so wait for that too.
        await eventually(lambda: counted_exactly(nats_server.url, lane, records, 15), timeout_s=60)

        env = clean_env(INGATE_NATS_URL=nats_server.url)
        done = await asyncio.to_thread(run_cli, "usage", "--json", "--since", "1h", env=env)
        assert done.returncode == 0, done.stderr
        reply = ours(msgspec.json.decode(done.stdout, type=UsageReply), lane)
        assert reply.users == expected_users(records)
        assert reply.sessions == expected_sessions(records)
        assert reply.stats.duplicates >= 15

    finally:
        service.stop()


@pytest.mark.timeout(240)  # two process starts and an ack wait, on a busy machine
async def test_killed_mid_stream_and_restarted_nothing_is_lost_or_counted_twice(
    js: JetStreamContext, nats_server: NatsServer, logs_dir: Path, tmp_path: Path
) -> None:
    lane = Lane.new()
    records = make_records(lane, 400, users=4, sessions=5, seed=5)
    data_dir = tmp_path / "data"

    killed = asyncio.Event()

    async def publish_steadily() -> None:
        for start in range(0, len(records), 10):
            if start == len(records) // 2:
                await killed.wait()  # the rest arrives while no service runs
            await publish(js, lane, records[start : start + 10])
            await asyncio.sleep(0.03)

    first = await start_analytics(nats_server.url, data_dir, logs_dir, "analytics-killed")
    publisher = asyncio.create_task(publish_steadily())

    async def some_stored() -> bool:
        reply = await lane_usage(nats_server.url, lane)
        return reply is not None and sum(u.requests for u in reply.users) > 0

    await eventually(some_stored, timeout_s=60)
    first.process.kill()  # SIGKILL: no flush, no acks, nothing tidied
    first.stop()
    killed.set()
    await publisher

    second = await start_analytics(nats_server.url, data_dir, logs_dir, "analytics-restarted")
    try:
        # What was unacknowledged at the kill comes round after the ack wait (10 s).
        await eventually(lambda: counted_exactly(nats_server.url, lane, records), timeout_s=120)
    finally:
        second.stop()

    # The rows themselves, without FINAL: a request stored twice would show here.
    parameters = lane_parameters(lane)
    assert query_data_dir(data_dir, ROWS_SQL, parameters) == [[400, 400]]
    users = query_data_dir(data_dir, USER_ROLLUP_SQL, parameters)
    assert user_rollup_rows(users) == user_rollup_of(expected_users(records))
    sessions = query_data_dir(data_dir, SESSION_ROLLUP_SQL, parameters)
    assert session_rollup_rows(sessions) == session_rollup_of(expected_sessions(records))


def test_usage_with_no_analytics_service_says_so_in_one_line(tmp_path: Path) -> None:
    server = NatsServer("127.0.0.1", free_port(), tmp_path / "jetstream")
    server.start()
    try:
        done = run_cli("usage", env=clean_env(INGATE_NATS_URL=server.url))
    finally:
        server.stop()
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == (
        f"ingate: no analytics service answered on NATS at {server.url} ({is_it_running()})\n"
    )


def test_usage_refuses_a_bad_since(tmp_path: Path) -> None:
    done = run_cli("usage", "--since", "yesterday", env=clean_env(INGATE_NATS_URL="nats://127.0.0.1:1"))
    assert done.returncode == 2
    assert "expected a positive duration such as 90s, 30m, 24h or 7d, got 'yesterday'" in done.stderr
