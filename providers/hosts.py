"""Decide whether a teacher's base URL points at the user's own machine or network.

A local server (vLLM, Ollama, llama.cpp) usually needs no API key, so a missing key is only a
configuration error for hosts on the public internet.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

# Networks that never leave the machine or the private network it sits in.
LOCAL_NETWORKS: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = tuple(
    ipaddress.ip_network(net)
    for net in (
        "127.0.0.0/8",  # loopback
        "0.0.0.0/32",  # "this host", used by servers bound to every interface
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "169.254.0.0/16",  # link-local
        "::1/128",
        "::/128",
        "fc00::/7",  # unique local addresses
        "fe80::/10",  # link-local
    )
)

# Names that container runtimes give to the host or that are reserved for private use.
LOCAL_HOSTNAMES = frozenset(
    {"localhost", "host.docker.internal", "gateway.docker.internal", "host.containers.internal"}
)
LOCAL_SUFFIXES = (".localhost", ".internal", ".local")


def is_local_host(host: str) -> bool:
    """True for loopback, private-network IPs, docker host names and single-label names.

    A single-label name such as `ollama` or `vllm` can only be resolved by a local resolver
    (docker compose services, /etc/hosts), never on the public internet.
    """
    name = host.strip().strip("[]").lower().rstrip(".")
    if not name:
        return False
    # An IPv6 zone index (fe80::1%eth0) is not part of the address.
    address_text = name.split("%", 1)[0]
    try:
        address = ipaddress.ip_address(address_text)
    except ValueError:
        return name in LOCAL_HOSTNAMES or name.endswith(LOCAL_SUFFIXES) or "." not in name
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in LOCAL_NETWORKS)


def is_local_base_url(base_url: str) -> bool:
    """True when the URL's host is local in the sense of `is_local_host`."""
    if not base_url:
        return False
    try:
        host = urlsplit(base_url.strip()).hostname
    except ValueError:
        return False
    return bool(host) and is_local_host(host)
