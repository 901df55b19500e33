"""The FHIR Bundle of a demo checkup passes the HAPI FHIR validator (hapi-fhir-validation with the base R4
definitions of hapi-fhir-validation-resources-r4, tools/fhir-validator) with zero errors, offline: the JVM is
given a dead proxy, so any download it tried would fail the run.

The validator is built by `.ci/run` (Maven, ~/.m2 cached); here it is built offline from ~/.m2 when its
classes are missing. Where Maven could never fetch its jars, the test is skipped and says so."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from checkup.demo import demo
from checkup.models import Appointment, Report
from checkup.services.interop import fhir

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "fhir-validator"
CLASSPATH = TOOL / "target" / "classpath.txt"
MAIN_CLASS = "org.checkupportal.fhirvalidator.Validate"
COMPILED = TOOL / "target" / "classes" / "org" / "checkupportal" / "fhirvalidator" / "Validate.class"
# every proxy a JVM HTTP client honours points at a closed port: nothing can be downloaded during validation
NO_NETWORK = [
    f"-D{scheme}.{part}={value}"
    for scheme in ("http", "https")
    for part, value in (("proxyHost", "127.0.0.1"), ("proxyPort", "9"), ("nonProxyHosts", ""))
]


def validator_command():
    java = shutil.which("java")
    if java is None:
        pytest.skip("HAPI FHIR validator not run: no java on PATH (.ci/run installs openjdk-17-jre-headless)")
    stale = not COMPILED.exists() or COMPILED.stat().st_mtime < (TOOL / "pom.xml").stat().st_mtime
    if (stale or not CLASSPATH.exists()) and shutil.which("mvn"):
        subprocess.run(
            ["mvn", "-B", "-q", "-o", "-f", str(TOOL / "pom.xml"), "compile"],
            capture_output=True,
            timeout=600,
            check=False,
        )
    if not (COMPILED.exists() and CLASSPATH.exists()):
        pytest.skip(
            "HAPI FHIR validator not built: its jars are not in ~/.m2 and Maven Central was not reachable "
            "(run `mvn -f tools/fhir-validator/pom.xml dependency:go-offline compile` where it is)"
        )
    classpath = f"{TOOL / 'target' / 'classes'}:{CLASSPATH.read_text().strip()}"
    return [java, *NO_NETWORK, "-Xss4m", "-cp", classpath, MAIN_CLASS]


def test_the_bundle_of_the_demo_checkup_has_zero_hapi_errors(app, tmp_path):
    command = validator_command()
    demo.seed(history=False)
    signed = (
        Appointment.select()
        .join(Report, on=(Report.appointment == Appointment.id))
        .where(Report.status.in_(fhir.SIGNED_STATUSES))
        .first()
    )
    assert signed is not None, "the demo has a signed checkup"
    _appointment, resources = fhir.checkup_resources(signed.id)
    kinds = {r["resourceType"] for r in resources}
    assert {"Encounter", "Patient", "Organization", "Practitioner", "Observation", "DiagnosticReport"} <= kinds
    files = [tmp_path / "bundle.json"]
    files[0].write_text(json.dumps(fhir.bundle(resources), ensure_ascii=False), encoding="utf-8")
    for resource in resources[:3] + [r for r in resources if r["resourceType"] == "DiagnosticReport"]:
        path = tmp_path / f"{resource['resourceType']}-{resource['id']}.json"
        path.write_text(json.dumps(resource, ensure_ascii=False), encoding="utf-8")
        files.append(path)

    run = subprocess.run(
        [*command, *map(str, files)], capture_output=True, text=True, timeout=600, check=False, cwd=tmp_path
    )
    report = run.stdout + run.stderr
    assert run.returncode == 0, report[-4000:]
    for path in files:
        assert f"{path}: 0 errors" in run.stdout, report[-4000:]


def test_the_validator_finds_errors_in_a_broken_resource(tmp_path):
    """The check above means something: a wrong status code and a missing required element are errors."""
    command = validator_command()
    broken = {"resourceType": "Observation", "status": "done", "valueQuantity": {"value": "five"}}
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken), encoding="utf-8")
    run = subprocess.run([*command, str(path)], capture_output=True, text=True, timeout=600, check=False)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "ERROR" in run.stdout and "0 errors" not in run.stdout
