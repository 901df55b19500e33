"""Mail goes to a real SMTP server when one is configured, else to the outbox folder."""

import pytest

from checkup.services.mail import mail


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


def test_outbox_files_are_readable_by_the_portal_user_only(app, client, make_user, outbox):
    """The outbox holds live password links: 0600 files in a 0700 folder, even when the folder was there
    before with a looser mode, and whatever the process umask lets through."""
    import os
    import stat
    from pathlib import Path

    folder = Path(app.config["OUTBOX_DIR"])
    folder.mkdir(parents=True, mode=0o755)
    os.chmod(folder, 0o755)
    old_umask = os.umask(0)  # the most permissive umask a process can have
    try:
        make_user("admin", email="doc@example.com")
        client.post("/password/forgot", data={"email": "doc@example.com"})
    finally:
        os.umask(old_umask)
    [path] = folder.glob("*.eml")
    assert "/password/reset/" in outbox()[0].get_content()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert list(folder.glob("*.tmp")) == []


def test_a_new_outbox_folder_is_made_private(app):
    import stat
    from pathlib import Path

    app.config["OUTBOX_DIR"] = str(Path(app.instance_path) / "nested" / "outbox")
    path = Path(mail.send("someone@example.com", "Hello", "Body text"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
