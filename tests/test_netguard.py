"""The tests run offline: any connection beyond this machine fails at once, with a clear message."""
import socket
import subprocess
import sys

import pytest


def test_outbound_connection_fails_with_clear_message():
    with pytest.raises(ConnectionRefusedError, match="Network access is blocked.*8.8.8.8:53.*offline"):
        socket.create_connection(("8.8.8.8", 53), timeout=1)


def test_name_lookup_fails_with_clear_message():
    with pytest.raises(ConnectionRefusedError, match="huggingface.co"):
        socket.getaddrinfo("huggingface.co", 443)


def test_loopback_is_allowed():
    server = socket.socket(); server.bind(("127.0.0.1", 0)); server.listen(1)
    client = socket.create_connection(server.getsockname(), timeout=1)
    client.close(); server.close()


def test_guard_reaches_child_processes_like_notebook_kernels():
    code = "import socket; socket.create_connection(('1.1.1.1', 443), timeout=1)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode != 0
    assert "Network access is blocked" in result.stderr
