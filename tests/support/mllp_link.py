"""Both ends of an MLLP link on 127.0.0.1 as the tests drive them over real sockets: listeners handling
messages as `flask mllp` does, and a LIS that sends framed messages and reads the framed ACKs."""

import socket
import threading
from contextlib import contextmanager

from checkup.cli_mllp import message_handler
from checkup.services.interop import mllp


@contextmanager
def mllp_listeners(app):
    """Yield ``start(client_name, allowed=("127.0.0.1/32",))``: each call serves a new listener for the
    integration client named on a free port (returned), in a thread; all are shut down on exit."""
    servers = []

    def start(client_name, allowed=("127.0.0.1/32",)):
        server = mllp.MllpServer(
            ("127.0.0.1", 0), message_handler(app, client_name), mllp.parse_networks(allowed), idle_seconds=5
        )
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server.server_address[1]

    try:
        yield start
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


def read_acks(sock, count):
    """The next ``count`` frames the listener answers with on ``sock``, fewer if it closes first."""
    reader, frames = mllp.FrameReader(), []
    while len(frames) < count:
        data = sock.recv(65536)
        if not data:
            break
        frames += reader.feed(data)
    return frames


def send_and_read_ack(port, message):
    """Send ``message`` (bytes) in one frame to the listener on ``port``; the frames it answers with:
    its ACK, or none if it closes without one."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(mllp.frame(message))
        return read_acks(sock, 1)
