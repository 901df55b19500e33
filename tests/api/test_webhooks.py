"""Webhooks: a delivery is owed with the event, sent signed to a real local HTTP server, retried when the
receiver fails, and every failure shown on the admin's page."""

import http.server
import json
import threading

import pytest

from checkup.core import tasks
from checkup.core.audit import SYSTEM
from checkup.models import Task
from checkup.models.integrations import DEAD, DELIVERED, FAILED, WebhookDelivery
from checkup.services.integrations import webhooks
from tests.api.api_helpers import post_json, token_for
from tests.results_helpers import Lab

pytestmark = pytest.mark.both_dbs


class Receiver:
    """A real HTTP server on 127.0.0.1 that records each request; answers ``status``."""

    def __init__(self, status=204):
        self.requests = []
        self.status = status
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def test_report_signed_reaches_a_real_receiver_with_a_valid_signature(app):
    from checkup.models import Report
    from checkup.services.exam import events

    system, _token = token_for("reports:read")
    lab = Lab()
    appointment = lab.appointment()
    with Receiver() as receiver:
        endpoint, secret = webhooks.add_endpoint(SYSTEM, system.id, receiver.url, ["report.signed"])
        from checkup.models.base import db, utcnow

        with db.atomic():  # as reports.sign does: the event inside the signing transaction
            report = Report.create(appointment=appointment.id, status="signed", signed_at=utcnow())
            events.report_signed.send(report, actor=SYSTEM)
        assert len(receiver.requests) == 1  # run at commit (no Redis: the task runs in this process)
    headers, body = receiver.requests[0]
    assert webhooks.verify(secret, headers["X-Checkup-Signature"], body)
    assert not webhooks.verify("whsec_other", headers["X-Checkup-Signature"], body)
    assert not webhooks.verify(secret, headers["X-Checkup-Signature"], body + b" ")
    payload = json.loads(body)
    assert payload["event"] == "report.signed" and headers["X-Checkup-Event"] == "report.signed"
    assert payload["data"]["report_id"] == report.id and payload["data"]["exam_code"] == appointment.exam_code
    delivery = WebhookDelivery.get(WebhookDelivery.endpoint == endpoint.id)
    assert delivery.state == DELIVERED and delivery.attempts == 1 and delivery.last_status == 204


def test_a_rolled_back_event_owes_no_delivery(app):
    system, _token = token_for("reports:read")
    webhooks.add_endpoint(SYSTEM, system.id, "http://127.0.0.1:9/hook", ["results.received"])
    from checkup.models.base import db

    with pytest.raises(RuntimeError):
        with db.atomic():
            webhooks.emit("results.received", {"x": 1})
            raise RuntimeError("the change failed")
    assert WebhookDelivery.select().count() == 0
    assert Task.select().where(Task.kind == "webhook.deliver").count() == 0


def test_a_failing_receiver_is_retried_on_schedule_then_given_up_and_shown_to_staff(app, client, login):
    app.config["TASK_RETRY_DELAYS"] = (0, 0)
    system, token = token_for("results:write")
    lab = Lab()
    appointment = lab.appointment()
    with Receiver(status=500) as receiver:
        webhooks.add_endpoint(SYSTEM, system.id, receiver.url, ["results.received"])
        post_json(
            client,
            "/api/v1/results",
            token,
            {"exam_code": appointment.exam_code, "results": [{"external_id": "E", "item_code": "GLU", "value": "5"}]},
        )
        delivery = WebhookDelivery.get()
        assert delivery.state == FAILED and delivery.attempts == 1 and delivery.last_status == 500
        task = Task.get(Task.kind == "webhook.deliver")
        assert task.state == "failed"
        tasks.run(task.id)
        tasks.run(task.id)
        assert len(receiver.requests) == 3
    delivery = WebhookDelivery.get_by_id(delivery.id)
    assert delivery.state == DEAD and delivery.attempts == 3 and delivery.last_error == "HTTP 500"
    assert Task.get_by_id(task.id).state == "dead"
    from tests import factories

    login(factories.make_user("admin", email="admin@example.com"))
    page = client.get(f"/admin/integrations/{system.id}").get_data(as_text=True)
    assert "Given up" in page and "HTTP 500" in page
    listing = client.get("/admin/integrations").get_data(as_text=True)
    assert '<strong class="error">1</strong>' in listing
