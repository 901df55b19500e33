"""Specimen containers: the tubes and cups lab items are collected into, by the code printed on their labels.

The codes are stored on ``ExamItem.container`` (``checkup.models.catalog.CONTAINER_CODES``); here is what
the desk, the label and the guide sheet call them, in the reader's language. Blood containers are drawn at
the blood-draw room; urine and stool cups are handed in where samples are taken.
"""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from checkup.models.catalog import CONTAINER_CODES


@dataclass(frozen=True)
class Container:
    code: str
    name: object  # lazy string: the tube or cup as staff call it
    colour: object  # lazy string: the cap colour or cup, as printed on the label
    blood: bool  # drawn from a vein (else a cup the client fills)


CONTAINERS = {
    "EDTA": Container("EDTA", _l("EDTA tube (purple cap)"), _l("Purple"), True),
    "SST": Container("SST", _l("Serum tube with gel (yellow cap)"), _l("Yellow"), True),
    "RED": Container("RED", _l("Serum tube (red cap)"), _l("Red"), True),
    "CIT": Container("CIT", _l("Citrate tube (blue cap)"), _l("Blue"), True),
    "FLU": Container("FLU", _l("Fluoride tube (grey cap)"), _l("Grey"), True),
    "HEP": Container("HEP", _l("Heparin tube (green cap)"), _l("Green"), True),
    "URINE": Container("URINE", _l("Urine cup"), _l("Urine cup"), False),
    "STOOL": Container("STOOL", _l("Stool cup"), _l("Stool cup"), False),
}
assert tuple(CONTAINERS) == CONTAINER_CODES  # one list of codes: the model's

# Draw order (CLSI GP41): citrate before serum, serum before heparin, EDTA and fluoride last.
DRAW_ORDER = {code: n for n, code in enumerate(("CIT", "RED", "SST", "HEP", "EDTA", "FLU", "URINE", "STOOL"))}


def container(code):
    """The Container for ``code``, or None (no container, or a code no longer known)."""
    return CONTAINERS.get(code or "")


def choices():
    """(code, name) pairs for a select field, with "none" first."""
    return [("", _l("None (no specimen)"))] + [(c.code, c.name) for c in CONTAINERS.values()]


def in_draw_order(codes):
    """``codes`` without repeats, in the order the nurse fills them."""
    return sorted(set(c for c in codes if c in CONTAINERS), key=DRAW_ORDER.__getitem__)
