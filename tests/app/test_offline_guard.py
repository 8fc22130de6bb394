"""The offline guard itself must be able to fail, or the page tests prove nothing."""

import socket

import pytest


def test_guard_blocks_outside_addresses():
    with socket.socket() as s, pytest.raises(AssertionError, match="network access"):
        s.connect(("93.184.215.14", 443))
