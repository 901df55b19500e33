"""How a typed search term finds client records, quickly however many there are.

A term that looks like a key is tried first as that key, which one index answers alone: an email address
(``Client.email``, kept in lower case), a phone number (``Client.phone``, as typed or as its digits). A
full national ID is never a text search: callers look it up by its keyed hash (``clients``).

Anything else — or a key that matched nobody — is a text search: a term of ``SHORT_TERM`` characters or
more is looked for anywhere in the name, phone, email and employee number; a shorter one matches the
start of the name only (a surname, "王"; one or two characters anywhere would match a large part of the
directory). On PostgreSQL the trigram GIN indexes of migration 0014 answer ``ILIKE '%term%'`` (and the
name prefix); on SQLite the search reads the table, which is fine at a small center's size.

Sorting the matches by name is where PostgreSQL goes wrong on its own: it walks the name index and
filters, expecting the matches to be spread along it, but the matches of a name cluster together, so it
reads most of the index before the page is full. ``candidates`` therefore collects the matches through
the trigram indexes first, at most ``CANDIDATE_CAP`` of them, and only those are sorted; a term matching
more than that (an email domain, "138") is a plain query again, where walking the name index finds a
page quickly because matches are everywhere.
"""

import re
from dataclasses import dataclass

from peewee import CTE, SQL, Expression, PostgresqlDatabase, fn

from checkup.models import Client
from checkup.models.base import db

SHORT_TERM = 3  # characters: shorter terms match the start of the name only
CANDIDATE_CAP = 2000  # matches collected and sorted on PostgreSQL; more than this: a plain query
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
_PHONE = re.compile(r"\+?[0-9][0-9 \-]{5,28}[0-9]")
PHONE_MIN_DIGITS = 7


def is_postgres():
    return isinstance(db.obj, PostgresqlDatabase)


def looks_like_email(term):
    return bool(_EMAIL.fullmatch(term))


def phone_forms(term):
    """The ways a typed phone number may be stored (as typed, digits only), or () if it is not one."""
    if not _PHONE.fullmatch(term):
        return ()
    digits = "".join(c for c in term if c.isdigit())
    if len(digits) < PHONE_MIN_DIGITS:
        return ()
    return tuple(dict.fromkeys((term, ("+" if term.startswith("+") else "") + digits, digits)))


def exact_condition(term) -> Expression | None:
    """The exact-key condition for a term shaped like an email address or a phone number, else None."""
    if looks_like_email(term):
        return Client.email == term.lower()
    forms = phone_forms(term)
    if forms:
        return Client.phone.in_(list(forms))
    return None


def text_condition(term) -> Expression:
    """Clients whose name, phone, email or employee number holds ``term``; the start of the name for a
    term shorter than SHORT_TERM (LIKE's wildcards in the term are matched literally)."""
    if len(term) < SHORT_TERM:
        if term.lower() == term.upper():  # no case (Chinese, digits): every match sorts at or after the term,
            return Client.name.startswith(term) & (Client.name >= term)  # so a walk of the name index starts there
        return Client.name.startswith(term)
    return (
        Client.name.contains(term)
        | Client.phone.contains(term)
        | Client.email.contains(term)
        | Client.employee_no.contains(term)
    )


@dataclass(frozen=True)
class Candidates:
    """The clients matching a condition, at most CANDIDATE_CAP + 1 of them, as a materialized CTE with
    ``id`` and ``name``; ``found`` is a scalar subquery counting them (more than CANDIDATE_CAP: too many
    to sort, see the module doc)."""

    cte: CTE

    @property
    def found(self):
        """``count(*)`` of the candidates, as a scalar subquery of a query that has ``with_cte(cte)``."""
        return Client.select(fn.COUNT(SQL("*"))).from_(self.cte)

    def count(self):
        """How many candidates there are (at most CANDIDATE_CAP + 1), in a query of its own."""
        return self.found.with_cte(self.cte).scalar()

    def ids(self):
        """The candidates' ids, for ``IN`` (no WITH of its own: the outer query carries it)."""
        return Client.select(self.cte.c.id).from_(self.cte)

    def ordered(self, *order_by):
        """The candidates' ``id`` and ``name`` (no WITH of its own: the outer query carries it)."""
        return Client.select(self.cte.c.id, self.cte.c.name).from_(self.cte).order_by(*order_by)


def too_many(found):
    """Did ``candidates`` find more than it may sort? (None: not counted, i.e. not PostgreSQL.)"""
    return found is not None and found > CANDIDATE_CAP


def candidates(condition) -> Candidates:
    """PostgreSQL only (MATERIALIZED keeps the planner from folding the CTE back into the outer query)."""
    cte = (
        Client.select(Client.id, Client.name)
        .where(condition)
        .limit(CANDIDATE_CAP + 1)
        .cte("candidates", materialized=True)
    )
    return Candidates(cte)
