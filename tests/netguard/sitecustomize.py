"""Block every non-loopback connection in this Python process (tests only).

`tests/conftest.py` puts this folder first on PYTHONPATH, so every Python the tests start,
notebook kernels included, imports it at start-up. The course runs offline: a lesson that
tries to reach the network fails at once with a message saying why, instead of hanging.
"""
import ipaddress
import socket

_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", ""}


class NetworkBlockedError(ConnectionRefusedError):
    "A test or lesson tried to reach the network, which the course's tests forbid."


def _is_loopback(host) -> bool:
    if host is None: return True
    host = host.decode() if isinstance(host, bytes) else str(host)
    if host in _LOCAL_NAMES: return True
    try: return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError: return False


def _blocked(target) -> NetworkBlockedError:
    return NetworkBlockedError(
        f"Network access is blocked in the course's tests: something tried to reach {target}. "
        "Lessons must run offline: load models and data with course_utils.assets.asset_path(...), "
        "and guard hub-only cells with course_utils.env.is_online().")


_connect, _connect_ex, _getaddrinfo = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo


def _guarded_connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
        raise _blocked(f"{address[0]}:{address[1]}")
    return _connect(self, address)


def _guarded_connect_ex(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
        raise _blocked(f"{address[0]}:{address[1]}")
    return _connect_ex(self, address)


def _is_ip_literal(host) -> bool:
    try: ipaddress.ip_address(str(host.decode() if isinstance(host, bytes) else host).split("%")[0]); return True
    except ValueError: return False


def _guarded_getaddrinfo(host, *args, **kwargs):
    if not (_is_loopback(host) or _is_ip_literal(host)): raise _blocked(f"{host} (name lookup)")
    return _getaddrinfo(host, *args, **kwargs)


def install() -> None:
    "Install the guard in this process (idempotent)."
    socket.socket.connect = _guarded_connect
    socket.socket.connect_ex = _guarded_connect_ex
    socket.getaddrinfo = _guarded_getaddrinfo
    socket.NetworkBlockedError = NetworkBlockedError


install()
