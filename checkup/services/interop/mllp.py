"""MLLP (the Minimal Lower Layer Protocol of HL7 v2) for LIS boxes that speak nothing else: each message is
framed ``0x0B <message> 0x1C 0x0D`` on a TCP connection, and each one is answered with one framed ACK before
the next is read. The listener knows nothing of HL7 itself: it hands every message's bytes to ``handle``
(``flask mllp`` passes hl7_results.receive_oru in an app context) and frames what that returns.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import socketserver
from collections.abc import Callable, Iterable

START_BLOCK = b"\x0b"
END_BLOCK = b"\x1c\x0d"
MAX_FRAME_BYTES = 1_000_000  # a larger frame is a stream gone wrong, not a message: the connection is closed
IDLE_SECONDS = 300  # a connection that says nothing for this long is closed (the LIS reconnects)

log = logging.getLogger(__name__)


def frame(payload: bytes) -> bytes:
    return START_BLOCK + payload + END_BLOCK


class FrameTooLarge(Exception):
    pass


class FrameReader:
    """Cuts a byte stream into the payloads of complete frames; bytes outside a frame are dropped."""

    def __init__(self, limit: int = MAX_FRAME_BYTES) -> None:
        self.buffer = b""
        self.limit = limit

    def feed(self, data: bytes) -> list[bytes]:
        self.buffer += data
        payloads: list[bytes] = []
        while True:
            start = self.buffer.find(START_BLOCK)
            if start < 0:
                self.buffer = b""
                return payloads
            end = self.buffer.find(END_BLOCK, start + 1)
            if end < 0:
                self.buffer = self.buffer[start:]
                if len(self.buffer) > self.limit:
                    raise FrameTooLarge(f"no end block within {self.limit} bytes")
                return payloads
            payloads.append(self.buffer[start + 1 : end])
            self.buffer = self.buffer[end + len(END_BLOCK) :]


Handle = Callable[[bytes, str], bytes]


def parse_networks(texts: Iterable[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """Address or CIDR texts -> networks; ValueError names the one that is neither."""
    return [ipaddress.ip_network(text.strip(), strict=False) for text in texts if text.strip()]


class _Connection(socketserver.BaseRequestHandler):
    server: MllpServer

    def handle(self) -> None:
        peer = self.client_address[0]
        if not self.server.allows(peer):
            log.warning("MLLP connection from %s refused: not in the allowed networks", peer)
            return
        self.request.settimeout(self.server.idle_seconds)
        reader = FrameReader()
        while True:
            try:
                data = self.request.recv(65536)
            except OSError:  # a timeout, a reset, a closed socket
                return
            if not data:
                return
            try:
                payloads = reader.feed(data)
            except FrameTooLarge:
                log.warning("MLLP connection from %s closed: frame larger than %d bytes", peer, reader.limit)
                return
            for payload in payloads:
                try:
                    answer = self.server.handle_message(payload, peer)
                except Exception:  # the LIS gets no ACK and sends again; the cause is in the log
                    log.exception("MLLP message from %s not handled", peer)
                    return
                self.request.sendall(frame(answer))


class MllpServer(socketserver.ThreadingTCPServer):
    """A threaded MLLP listener: one thread per connection, messages on a connection answered in order."""

    allow_reuse_address = True
    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        handle: Handle,
        allowed: Iterable[ipaddress.IPv4Network | ipaddress.IPv6Network] = (),
        idle_seconds: float = IDLE_SECONDS,
    ) -> None:
        self.handle_message = handle
        self.allowed = list(allowed)
        self.idle_seconds = idle_seconds
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Connection)

    def allows(self, peer: str) -> bool:
        if not self.allowed:
            return True
        try:
            address = ipaddress.ip_address(peer.split("%")[0])
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return any(address in network for network in self.allowed)
