"""`flask mllp`: a LIS box that speaks only MLLP sends ORU^R01 messages over a real TCP socket and gets one
framed ACK per message, in order, whatever way the bytes arrive."""

import functools
import socket

import pytest

from checkup.core.audit import Actor
from checkup.models import AuditEvent, Result
from checkup.services.integrations import clients
from checkup.services.interop import mllp
from tests.interop.hl7_helpers import lab_with_loinc, msa, oru
from tests.support.mllp_link import mllp_listeners, read_acks, send_and_read_ack

pytestmark = pytest.mark.both_dbs


@pytest.fixture
def lab(app):
    return lab_with_loinc()


@pytest.fixture
def lis_client(app):
    return clients.register_client(Actor(), "Roche LIS", ["results:write"]).client


@pytest.fixture
def listener(app, lis_client):
    """``listener(allowed=...)``: the port of an MLLP listener on 127.0.0.1 for the LIS client, handling
    messages as `flask mllp` does."""
    with mllp_listeners(app) as start:
        yield functools.partial(start, lis_client.name)


def test_two_messages_in_one_write_and_one_split_across_writes_get_three_acks_in_order(lab, listener):
    port = listener()
    first, second = lab.appointment(), lab.appointment(name="李四")
    one = oru(first.exam_code, ("GLU^^L", "5.4", "mmol/L"), control="C1").encode()
    two = oru(second.exam_code, ("2345-7^Glucose^LN", "1.9", "mmol/L"), control="C2").encode()
    three = oru("NO-SUCH", ("GLU^^L", "5.0", "mmol/L"), control="C3").encode()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"\r\n" + mllp.frame(one) + mllp.frame(two))  # stray bytes before a frame are dropped
        framed = mllp.frame(three)
        sock.sendall(framed[:7])
        sock.sendall(framed[7:])
        acks = read_acks(sock, 3)
    assert [msa(ack) for ack in acks] == [("AA", "C1"), ("AA", "C2"), ("AE", "C3")]
    assert sorted(r.value_text for r in Result.select()) == ["1.9", "5.4"]
    events = list(AuditEvent.select().where(AuditEvent.action == "hl7.received").order_by(AuditEvent.id))
    assert len(events) == 3
    assert all('"channel": "mllp"' in e.detail and e.ip == "127.0.0.1" for e in events)


def test_gb18030_over_mllp_is_answered_in_gb18030(lab, listener):
    port = listener()
    appointment = lab.appointment()
    message = oru(appointment.exam_code, ("GLU^空腹血糖^L", "6.3", "mmol/L"), charset="GB18030").encode("gb18030")
    [ack] = send_and_read_ack(port, message)
    assert msa(ack, "gb18030") == ("AA", "MSG0001")
    assert Result.get().flag == "H"


def test_a_revoked_client_gets_ar_and_nothing_is_stored(app, lab, listener, lis_client):
    port = listener()
    appointment = lab.appointment()
    clients.revoke_client(Actor(), lis_client.id)
    [ack] = send_and_read_ack(port, oru(appointment.exam_code, ("GLU^^L", "5.4", "mmol/L")).encode())
    assert msa(ack) == ("AR", "MSG0001")
    assert Result.select().count() == 0


def test_a_peer_outside_the_allowed_networks_is_closed_without_an_answer(lab, listener):
    port = listener(allowed=("10.99.0.0/16",))
    appointment = lab.appointment()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        try:
            sock.sendall(mllp.frame(oru(appointment.exam_code, ("GLU^^L", "5.4", "mmol/L")).encode()))
            answer = sock.recv(1024)
        except ConnectionResetError:
            answer = b""
    assert answer == b""
    assert Result.select().count() == 0


def test_frames_are_cut_from_a_stream_and_a_runaway_frame_is_refused():
    reader = mllp.FrameReader(limit=50)
    assert reader.feed(b"junk\x0bMSH|a\x1c") == []
    assert reader.feed(b"\r\x0bMSH|b\x1c\r\x0bMS") == [b"MSH|a", b"MSH|b"]
    assert reader.feed(b"H|c\x1c\r") == [b"MSH|c"]
    with pytest.raises(mllp.FrameTooLarge):
        reader.feed(b"\x0b" + b"x" * 60)


def test_the_command_is_registered_and_refuses_an_unknown_client(app):
    runner = app.test_cli_runner()
    help_text = runner.invoke(args=["mllp", "--help"]).output
    assert "--port" in help_text and "--client" in help_text
    outcome = runner.invoke(args=["mllp", "--port", "2575", "--client", "nobody"])
    assert outcome.exit_code != 0 and "no integration client named 'nobody'" in outcome.output
    bad = runner.invoke(args=["mllp", "--client", "nobody", "--allow", "not-a-network"])
    assert bad.exit_code != 0 and "--allow" in bad.output
