"""Interoperability with the hospital's systems: HL7 v2 results in, HL7 FHIR R4 out."""
