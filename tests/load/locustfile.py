"""Mixed gateway traffic against an Ingate edge: `make load`, or by hand from the repository root:

    LOAD_KEY=sk-ingate-… uv run python -m locust -f tests/load/locustfile.py --host http://127.0.0.1:8080

Each simulated user is one end user of an application (its own X-Ingate-User-Id, sessions of a
few turns); every request kind in `tests.load.traffic.KINDS` is a row of its own in the summary.
A request fails when the answer is not 2xx, or is not complete and well-formed — a stream must
be read to its final event. The run exits non-zero when the failure ratio exceeds
--ingate-max-fail-ratio.
"""

import collections
import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gevent  # type: ignore[import-untyped]  # locust's own dependency, without stubs
from locust import TaskSet, events
from locust.argument_parser import LocustArgumentParser
from locust.contrib.fasthttp import FAILURE_EXCEPTIONS, FastHttpUser
from locust.env import Environment

from tests.load.traffic import KINDS, Kind, Person, describe_failure, parse_headers


def _arguments(parser: LocustArgumentParser) -> None:
    parser.add_argument(
        "--ingate-key", env_var="LOAD_KEY", default="", is_secret=True, help="Ingate key (env LOAD_KEY)"
    )
    parser.add_argument(
        "--ingate-think",
        type=float,
        default=1.0,
        help="each user waits a random 0..N seconds between requests (default 1.0)",
    )
    parser.add_argument(
        "--ingate-headers",
        default="",
        help="extra headers on every request, 'Name: value; Other: value' (e.g. X-Mock-Latency-Ms: 300)",
    )
    parser.add_argument(
        "--ingate-max-fail-ratio",
        type=float,
        default=0.01,
        help="exit non-zero when more than this share of requests failed (default 0.01)",
    )
    parser.add_argument(
        "--ingate-until-each",
        type=int,
        default=0,
        help="end the run once every request kind was sent this often (0: run for --run-time)",
    )
    parser.add_argument(
        "--ingate-summary",
        default="",
        help="write the final requests and failures per kind, and failures per label, to this JSON file",
    )


def _check_options(environment: Environment, **_kwargs: object) -> None:
    # Once, before any user starts: a mistake here would otherwise fail every request alike.
    options = environment.parsed_options
    if options is None:
        return
    if not options.ingate_key:
        raise SystemExit("tests/load: set LOAD_KEY (or --ingate-key) to an Ingate key")
    try:
        parse_headers(options.ingate_headers)
    except ValueError as exc:
        raise SystemExit(f"tests/load: --ingate-headers: {exc}") from None


def _exit_code(environment: Environment, **_kwargs: object) -> None:
    # Locust's default fails a run on a single failed request; against a real deployment a
    # few are expected, so the threshold decides (and a locustfile error always fails).
    total = environment.stats.total
    limit = environment.parsed_options.ingate_max_fail_ratio if environment.parsed_options else 0.0
    broken = environment.runner is not None and bool(environment.runner.exceptions)
    too_many = total.num_requests == 0 or total.fail_ratio > limit
    environment.process_exit_code = 1 if broken or too_many else 0
    if total.num_requests == 0:
        print("load: no request was made", flush=True)
    elif too_many:
        print(
            f"load: {total.num_failures} of {total.num_requests} requests failed "
            f"({total.fail_ratio:.2%}); the limit is {limit:.2%}",
            flush=True,
        )


class _Run:
    """--ingate-until-each and --ingate-summary. Locust's CSV files hold what its writer saw at
    its last tick, up to a second before the end; a short run on a busy machine may miss all."""

    def __init__(self) -> None:
        self.environment: Environment | None = None
        self.sent: collections.Counter[str] = collections.Counter()
        self.ending = False

    def init(self, environment: Environment, **_kwargs: object) -> None:
        self.environment = environment

    def request(self, name: str, **_kwargs: object) -> None:
        self.sent[name] += 1
        environment = self.environment
        if environment is None or environment.parsed_options is None or environment.runner is None:
            return
        each = environment.parsed_options.ingate_until_each
        if each > 0 and not self.ending and all(self.sent[kind.name] >= each for kind in KINDS):
            self.ending = True
            gevent.spawn(environment.runner.quit)  # not from this user's greenlet, which it stops

    def summary(self, **_kwargs: object) -> None:
        environment = self.environment
        options = environment.parsed_options if environment else None
        if environment is None or options is None or not options.ingate_summary:
            return
        stats = environment.stats
        summary = {
            "requests": {e.name: [e.num_requests, e.num_failures] for e in stats.entries.values()},
            "failures": {str(e.error): e.occurrences for e in stats.errors.values()},
        }
        Path(options.ingate_summary).write_text(json.dumps(summary, indent=1))


_run = _Run()
# Registered by call rather than as decorators, which locust leaves untyped.
events.init_command_line_parser.add_listener(_arguments)  # type: ignore[no-untyped-call]
events.init.add_listener(_run.init)  # type: ignore[no-untyped-call]
events.test_start.add_listener(_check_options)  # type: ignore[no-untyped-call]
events.request.add_listener(_run.request)  # type: ignore[no-untyped-call]
events.quitting.add_listener(_exit_code)  # type: ignore[no-untyped-call]
events.quit.add_listener(_run.summary)  # type: ignore[no-untyped-call]  # after the users stopped


def _weighted_tasks() -> list[TaskSet | Callable[..., Any]]:
    """One entry per unit of weight: locust picks tasks uniformly from this list."""
    tasks: list[TaskSet | Callable[..., Any]] = []
    for kind in KINDS:

        def task(user: "GatewayUser", kind: Kind = kind) -> None:
            user.send(kind)

        task.__name__ = kind.name  # what locust logs when a task raises
        tasks += [task] * kind.weight
    return tasks


class GatewayUser(FastHttpUser):
    # Raw HTTP without an SDK keeps the generator cheap; a long read timeout lets slow real
    # providers finish their streams.
    network_timeout = 120.0
    connection_timeout = 10.0
    tasks = _weighted_tasks()

    def wait_time(self) -> float:
        options = self.environment.parsed_options
        return random.uniform(0.0, options.ingate_think if options else 1.0)

    def on_start(self) -> None:
        options = self.environment.parsed_options
        key, extra = (options.ingate_key, parse_headers(options.ingate_headers)) if options else ("", {})
        self.person = Person(random.Random(), key, extra)

    def send(self, kind: Kind) -> None:
        body, headers = self.person.next_request(kind)
        # The body goes as bytes, sent as they are; locust's hint lists only str and dict.
        request = self.client.post(
            kind.path,
            data=body,  # type: ignore[arg-type]
            headers=headers,
            name=kind.name,
            catch_response=True,
        )
        with request as answer:
            if answer.request_meta["exception"] is not None and answer.status_code < 300:
                return  # no answer, or one cut short: locust already reports the transport error
            try:
                content = answer.content or b""
            except FAILURE_EXCEPTIONS:
                content = b""  # an error answer cut short: its status still says what failed
            if not 200 <= answer.status_code < 300:
                answer.failure(describe_failure(answer.status_code, content))
                return
            try:
                problem = kind.check(content)
            except (AttributeError, IndexError, TypeError, ValueError) as exc:
                problem = f"unexpected answer shape ({type(exc).__name__})"
            if problem is None:
                answer.success()
            else:
                answer.failure(problem)
