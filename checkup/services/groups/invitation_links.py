"""The personal link of an invitation, ``/invite/<token>``: opened, then spent exactly once.

An employee without an account sets a password (the account is created on the enrollment's record, the
one the roster made); one whose enrollment's record has an account spends the link and signs in as usual.
Someone who opens the link while signed in to their own client account may use that account instead:
that is their proof, and the roster's record joins theirs (``enrollment_identity``, audited). A missing,
expired, used or superseded link, or one of a contract no longer active, is the same NotFound: the answer
tells nothing about which it was.
"""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from peewee import IntegrityError

from checkup.core import audit, passwords
from checkup.core.errors import Conflict, NotFound
from checkup.models import Client, Enrollment, GroupContract, Organization, User, UserRole
from checkup.models.accounts import CLIENT
from checkup.models.base import db
from checkup.models.groups import ACTIVE
from checkup.services.accounts import accounts
from checkup.services.groups import enrollment_identity
from checkup.services.groups.invitations import now_utc, token_hash

INVALID = _l(
    "This invitation link is not valid any more: it may have expired, been replaced by a newer one "
    "or been used already. Ask your HR contact for a new invitation, or sign in if you already have "
    "an account."
)
EMAIL_TAKEN = _l(
    "An account with this email address already exists. If it is yours, sign in with it, then open "
    "this link again to add your company checkup to it."
)


@dataclass
class Invitation:
    enrollment: object
    account: object = None  # the employee's existing account, if any
    email_taken: bool = False  # no account of theirs, but their email address is another account's

    @property
    def client(self):
        return self.enrollment.client

    @property
    def contract(self):
        return self.enrollment.contract


def open_invitation(token):
    """The invitation behind a live link; NotFound(INVALID) otherwise. Writes nothing."""
    if not isinstance(token, str) or not 16 <= len(token) <= 100:
        raise NotFound(INVALID)
    enrollment = (
        Enrollment.select(Enrollment, Client, GroupContract, Organization)
        .join_from(Enrollment, Client)
        .join_from(Enrollment, GroupContract)
        .join(Organization)
        .where(Enrollment.invite_token_hash == token_hash(token))
        .first()
    )
    if (
        enrollment is None
        or enrollment.invite_used_at is not None
        or enrollment.invite_expires_at is None
        or enrollment.invite_expires_at <= now_utc()
        or enrollment.contract.status != ACTIVE
    ):
        raise NotFound(INVALID)
    account = User.get_or_none(User.client == enrollment.client_id)
    email = accounts.normalize_email(enrollment.client.email)
    taken = account is None and (not email or User.select().where(User.email == email).exists())
    return Invitation(enrollment, account, taken)


def _spend(enrollment_id, token):
    """Mark the link used if it still is live: True for the one request that wins."""
    now = now_utc()
    return bool(
        Enrollment.update(invite_used_at=now)
        .where(
            Enrollment.id == enrollment_id,
            Enrollment.invite_token_hash == token_hash(token),
            Enrollment.invite_used_at.is_null(),
            Enrollment.invite_expires_at > now,
        )
        .execute()
    )


def redeem_with_account(token, ip=""):
    """The employee has an account already: the link is spent (audited) and they sign in as usual.

    Returns the enrollment; NotFound for a dead link, Conflict when there is no account to sign in to."""
    invitation = open_invitation(token)
    if invitation.account is None:
        raise Conflict(_l("Choose a password first."))
    with db.atomic():
        if not _spend(invitation.enrollment.id, token):
            raise NotFound(INVALID)
        audit.record(audit.Actor(None, ip), "invitation.used", invitation.enrollment, account=invitation.account.id)
    return invitation.enrollment


def accept_invitation(token, password, locale="", ip=""):
    """Create the employee's client account (linked to their client record) from a live link.

    The link is spent in the same transaction; audited. Returns (user, enrollment). Raises NotFound
    for a dead link, ValidationError for a password breaking the rules, Conflict when the employee
    has an account already or their email address belongs to another account."""
    accounts.check_password_rules(password)
    invitation = open_invitation(token)
    if invitation.account is not None or invitation.email_taken:
        raise Conflict(EMAIL_TAKEN)
    client = invitation.client
    password_hash = passwords.hash_password(password)  # before the transaction: hashing is slow on purpose
    try:
        with db.atomic():
            if not _spend(invitation.enrollment.id, token):
                raise NotFound(INVALID)
            user = User.create(
                email=accounts.normalize_email(client.email),
                password_hash=password_hash,
                name=client.name,
                phone=client.phone,
                client=client.id,
                locale=locale if locale in ("en", "zh") else "",
            )
            UserRole.create(user=user, role=CLIENT)
            audit.record(audit.Actor(user, ip), "invitation.accepted", invitation.enrollment, user=user.id)
    except IntegrityError:  # a concurrent request created the account or took the email address
        raise Conflict(EMAIL_TAKEN)
    return user, invitation.enrollment


def use_existing_account(token, user, ip=""):
    """Proof (a): ``user``, signed in to their own client account, takes the invitation's enrollment into
    it; the roster's record of them is joined to theirs and the link spent, in one transaction (audited).

    Returns the enrollment. Raises NotFound for a dead link, Conflict when the enrollment's record has an
    account already (sign in with it) or cannot be joined (see ``enrollment_identity.join_by_invitation``)."""
    invitation = open_invitation(token)
    if invitation.account is not None or not user.client_id:
        raise Conflict(_l("This invitation belongs to another account. Sign in with that one."))
    actor = audit.Actor(user, ip)
    with db.atomic():
        if not _spend(invitation.enrollment.id, token):
            raise NotFound(INVALID)
        audit.record(actor, "invitation.used", invitation.enrollment, account=user.id)
        return enrollment_identity.join_by_invitation(actor, invitation.enrollment, user)
