"""/fhir: HL7 FHIR R4, read-only, for the hospital's systems (services/interop/fhir.py). Bearer token with the
scope fhir:read; answers ``application/fhir+json``; every error (a missing resource, a bad or missing token,
a missing scope) is an OperationOutcome."""

from flask import Blueprint, current_app, json, request

from checkup.core.audit import Actor
from checkup.core.errors import NotFound
from checkup.services.interop import fhir
from checkup.web.api_auth import PROBLEM_JSON, api_blueprint, require_scope

FHIR_JSON = "application/fhir+json"
SCOPE = "fhir:read"
ISSUE_CODES = {401: "login", 403: "forbidden", 404: "not-found", 405: "not-supported", 429: "throttled"}

bp = api_blueprint(Blueprint("fhir", __name__, url_prefix="/fhir"))


def _actor():
    return Actor(ip=request.remote_addr or "")


def _answer(resource, status=200):
    body = json.dumps(resource, ensure_ascii=False)
    response = current_app.response_class(body, status=status)
    response.headers["Content-Type"] = f"{FHIR_JSON}; charset=utf-8"
    return response


def _key(text):
    """A resource id of ours is a positive number; anything else is simply not found."""
    if not text.isdigit() or len(text) > 12:
        raise NotFound("No such resource.")
    return int(text)


@bp.after_request
def problems_as_operation_outcomes(response):
    """require_scope and the API's error handler answer RFC 9457 problems; a FHIR client reads OperationOutcome."""
    if response.mimetype != PROBLEM_JSON:
        return response
    problem = json.loads(response.get_data(as_text=True) or "{}")
    code = ISSUE_CODES.get(response.status_code, "processing" if response.status_code < 500 else "exception")
    outcome = fhir.operation_outcome("error", code, problem.get("detail") or problem.get("title") or "")
    response.set_data(json.dumps(outcome, ensure_ascii=False))
    response.headers["Content-Type"] = f"{FHIR_JSON}; charset=utf-8"
    return response


@bp.get("/Patient/<key>")
@require_scope(SCOPE)
def patient(key):
    return _answer(fhir.read_patient(_actor(), _key(key)))


@bp.get("/Practitioner/<key>")
@require_scope(SCOPE)
def practitioner(key):
    return _answer(fhir.read_practitioner(_actor(), _key(key)))


@bp.get("/Organization/<key>")
@require_scope(SCOPE)
def organization(key):
    return _answer(fhir.read_organization(_actor(), key))


@bp.get("/Encounter/<key>")
@require_scope(SCOPE)
def encounter(key):
    return _answer(fhir.read_encounter(_actor(), _key(key)))


@bp.get("/Encounter/<key>/$everything")
@require_scope(SCOPE)
def encounter_everything(key):
    return _answer(fhir.everything(_actor(), _key(key)))


@bp.get("/Observation/<key>")
@require_scope(SCOPE)
def observation(key):
    return _answer(fhir.read_observation(_actor(), _key(key)))


@bp.get("/DiagnosticReport/<key>")
@require_scope(SCOPE)
def diagnostic_report(key):
    return _answer(fhir.read_diagnostic_report(_actor(), _key(key)))
