"""flask --app wsgi mllp: the MLLP listener for LIS boxes that send HL7 v2 results over a plain TCP connection.

Every message is received as the registered integration client ``--client`` (it must hold results:write and
not be revoked: checked again for each message, so revoking it in the admin screens stops the listener's
intake at once) and only from the ``--allow`` networks (default: this machine only).
"""

import click
from flask import current_app

from checkup.core.audit import Actor
from checkup.models.base import db
from checkup.models.integrations import IntegrationClient
from checkup.services.integrations import clients
from checkup.services.interop import hl7_results, mllp

SCOPE = "results:write"


def intake_refusal(client_name):
    """Why the client may not send results now, or None."""
    client = IntegrationClient.get_or_none(IntegrationClient.name == client_name)
    if client is None:
        return None, f"no integration client named {client_name!r}"
    if not client.is_active:
        return client, f"the integration client {client_name!r} is revoked"
    if not clients.has_scope(client, SCOPE):
        return client, f"the integration client {client_name!r} lacks the scope {SCOPE}"
    return client, None


def message_handler(app, client_name):
    """handle(payload, peer) -> ACK bytes: one message, in its own app context and database connection."""

    def handle(payload, peer):
        with app.app_context(), db.connection_context():
            client, refusal = intake_refusal(client_name)
            outcome = hl7_results.receive_oru(
                Actor(ip=peer),
                payload,
                channel="mllp",
                integration=client.id if client is not None else None,
                refused_because=refusal,
            )
        return outcome.ack

    return handle


@click.command("mllp")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0: every one).")
@click.option("--port", default=2575, show_default=True, type=click.IntRange(1, 65535))
@click.option("--client", "client_name", required=True, help="The integration client the LIS is registered as.")
@click.option(
    "--allow",
    "allowed",
    multiple=True,
    default=["127.0.0.1/32", "::1/128"],
    show_default=True,
    help="An address or network (CIDR) that may connect; repeat for several.",
)
def mllp_command(host, port, client_name, allowed):
    """Receive HL7 v2 ORU^R01 results over MLLP (0x0B … 0x1C 0x0D), one ACK per message."""
    try:
        networks = mllp.parse_networks(allowed)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--allow")
    with db.connection_context():
        _client, refusal = intake_refusal(client_name)
    if refusal:
        raise click.ClickException(refusal)
    app = current_app._get_current_object()
    server = mllp.MllpServer((host, port), message_handler(app, client_name), networks)
    click.echo(f"MLLP listening on {host}:{server.server_address[1]} as {client_name!r}; Ctrl-C stops it")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
