"""POST /api/v1/hl7: an HL7 v2 ORU^R01 message (ER7) in the body, its ACK in the answer
(services/interop/hl7_results.py). The verdict is the ACK's MSA-1 (AA, AE, AR): the answer is 200 whenever
an ACK was made, as HL7-over-HTTP senders expect; a body that is not an HL7 media type is a 415 problem."""

from flask import Blueprint, current_app, request

from checkup.core.audit import Actor
from checkup.models import Appointment
from checkup.services.interop import hl7_results
from checkup.web.api_auth import api_blueprint, current_client, note_objects, problem, require_scope

ER7 = "x-application/hl7-v2+er7"
MEDIA_TYPES = (ER7, "application/hl7-v2+er7", "application/hl7-v2", "text/plain")

bp = api_blueprint(Blueprint("api_hl7", __name__, url_prefix="/api/v1"))


@bp.post("/hl7")
@require_scope("results:write")
def receive_hl7():
    if request.mimetype not in MEDIA_TYPES:
        return problem(
            415,
            "Unsupported media type",
            f"Send the message as {ER7} (or text/plain), one ORU^R01 per request.",
            type="unsupported-media-type",
        )
    outcome = hl7_results.receive_oru(
        Actor(ip=request.remote_addr or ""),
        request.get_data(cache=False),
        channel="http",
        fallback_charset=request.mimetype_params.get("charset"),
        integration=current_client().id,
    )
    note_objects(*(Appointment(id=appointment_id) for appointment_id in outcome.appointments))
    response = current_app.response_class(outcome.ack, status=200)
    response.headers["Content-Type"] = f"{ER7}; charset={outcome.charset}"
    response.headers["X-HL7-Acknowledgment"] = outcome.code
    return response
