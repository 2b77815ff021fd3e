"""INGATE_NATS_URL may list a cluster's servers, separated by commas, as the NATS clients take them."""

import pytest

from ingate_config import ConfigError, load_settings, server_urls
from ingate_nats import NatsServer, connect, host_port
from tests.support.processes import free_port

CLUSTER = "nats://10.0.0.1:4222, nats://10.0.0.2:4223,nats://10.0.0.3"


def test_a_list_of_servers_is_split_and_trimmed() -> None:
    assert server_urls(CLUSTER) == ["nats://10.0.0.1:4222", "nats://10.0.0.2:4223", "nats://10.0.0.3"]
    assert server_urls("nats://one:4222") == ["nats://one:4222"]
    assert server_urls("nats://one:4222,") == ["nats://one:4222"]


def test_host_port_is_the_first_servers() -> None:
    assert host_port(CLUSTER) == ("10.0.0.1", 4222)
    assert host_port("nats://10.0.0.3") == ("10.0.0.3", 4222)
    assert host_port("10.0.0.4:4333,nats://10.0.0.5:1") == ("10.0.0.4", 4333)


def test_config_accepts_a_list_of_servers() -> None:
    assert load_settings(environ={"INGATE_NATS_URL": CLUSTER}).nats_url == CLUSTER


@pytest.mark.parametrize(
    "url",
    [
        "nats://a:4222,http://b:4222",  # one of them is not NATS
        "nats://a:4222,nats://b:port",  # a port that is not a number
        "nats://a:4222,ws://b:8080",  # websocket and plain NATS mixed: the client refuses that
        " , ",
    ],
)
def test_config_refuses_a_bad_server_in_the_list(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(environ={"INGATE_NATS_URL": url})
    assert "nats_url" in str(caught.value)


async def test_connect_skips_a_dead_server_of_the_list(nats_server: NatsServer) -> None:
    dead = f"nats://127.0.0.1:{free_port()}"
    client = await connect(f"{dead},{nats_server.url}", "test-url-list", reconnect=False)
    try:
        assert client.is_connected
        assert client.connected_url is not None
        assert client.connected_url.port == nats_server.port
    finally:
        await client.close()
