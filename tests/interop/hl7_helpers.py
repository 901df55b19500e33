"""Shared by the HL7 tests: an ORU^R01 maker and the Lab world with a LOINC-coded glucose."""

import hl7

from checkup.models import ExamItem
from tests.results_helpers import Lab


def lab_with_loinc():
    world = Lab()
    ExamItem.update(loinc="2345-7").where(ExamItem.id == world.glu.id).execute()
    return world


def oru(exam_code, *obx, control="MSG0001", charset="UNICODE UTF-8", pid_code="", obr=True, name="王^芳"):
    """An ORU^R01 (ER7, <CR> between segments); ``obx``: (identifier, value, unit[, status[, type]])."""
    segments = [
        f"MSH|^~\\&|LIS|LAB|CHECKUP|CENTER|20250301101500||ORU^R01^ORU_R01|{control}|P|2.5.1||||||{charset}",
        f"PID|1||{pid_code}^^^CENTER^MR||{name}||19850601|F",
    ]
    if obr:
        segments.append(f"OBR|1|{exam_code}|F-77|CHEM^Chemistry^L|||20250301090000")
    for number, spec in enumerate(obx, start=1):
        identifier, value, unit, *rest = spec
        status = rest[0] if rest else "F"
        value_type = rest[1] if len(rest) > 1 else "NM"
        segments.append(
            f"OBX|{number}|{value_type}|{identifier}||{value}|{unit}|3.9-6.1|N|||{status}|||20250301100000||||COBAS-1"
        )
    return "\r".join(segments) + "\r"


def msa(ack_bytes, encoding="utf-8"):
    """(MSA-1, MSA-2) of an ACK."""
    segment = hl7.parse(ack_bytes.decode(encoding)).segment("MSA")
    return str(segment[1]), str(segment[2])
