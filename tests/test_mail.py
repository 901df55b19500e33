"""Mail goes to a real SMTP server when one is configured, else to the outbox folder."""
import pytest

from checkup.services import mail


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    received = []

    class Collect(Message):
        def handle_message(self, message):
            received.append(message)

    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Collect(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield controller, received
    finally:
        controller.stop()


def test_smtp_delivery(app, smtp_server):
    controller, received = smtp_server
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port)
    assert mail.send("someone@example.com", "体检提醒", "请空腹前来。") == "smtp"
    [message] = received
    assert message["To"] == "someone@example.com"
    from email.header import decode_header, make_header

    assert str(make_header(decode_header(message["Subject"]))) == "体检提醒"
    assert "请空腹前来" in message.get_payload(decode=True).decode("utf-8")


def test_outbox_when_no_smtp(app, outbox):
    path = mail.send("someone@example.com", "Hello", "Body text")
    assert path.endswith(".eml")
    [message] = outbox()
    assert message["Subject"] == "Hello" and message.get_content().strip() == "Body text"
