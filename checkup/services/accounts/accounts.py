"""Accounts: registration, sign-in credentials, emailed links (password reset, staff invitation,
registration), passwords, profile, staff administration. The login sessions an account signs in to
are in ``sessions``.

Every function here raises ValidationError / NotFound / PermissionDenied with a
user-facing message; none of them reads the Flask request.
"""

import datetime
import hashlib
import secrets
from typing import NamedTuple

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from peewee import JOIN

from checkup.core import audit, passwords, tasks
from checkup.core.arguments import MAX_PAGE, valid_id
from checkup.core.errors import NotFound, PermissionDenied, ValidationError
from checkup.core.pagination import page_of_rows
from checkup.core.plain_rows import plain_tuples
from checkup.core.prepared import PerShape, PreparedSelect
from checkup.models import Client, Organization, PasswordResetToken, User, UserRole
from checkup.models.accounts import ALL_ROLES, CLIENT, HR
from checkup.models.base import db, utcnow
from checkup.models.care import MARKETING_EMAIL, SERVICE_REMINDERS
from checkup.services.accounts import consents as consents_service
from checkup.services.accounts import sessions

INVITATION_MINUTES = 72 * 60
CONFIRMATION_MINUTES = 72 * 60  # a registration link
LONGEST_LINK_MINUTES = max(INVITATION_MINUTES, CONFIRMATION_MINUTES)
RESET_SALT, CONFIRM_SALT = "password-reset", "registration-confirm"  # a link of one kind is no use as the other
REGISTRATION_CONSENTS = (SERVICE_REMINDERS, MARKETING_EMAIL)  # the boxes on the register form
GENERIC_LOGIN_ERROR = _l("The email or password is not correct.")


def normalize_email(email):
    return (email or "").strip().lower()


def _digest(token):
    return hashlib.sha256(token.encode()).hexdigest()


def check_password_rules(password, field="password"):
    if len(password or "") < passwords.MIN_LENGTH:
        raise ValidationError(
            _l("Use at least %(n)s characters.", n=passwords.MIN_LENGTH),
            {field: _l("Use at least %(n)s characters.", n=passwords.MIN_LENGTH)},
        )
    if len(password) > passwords.MAX_LENGTH:
        raise ValidationError(
            _l("Use at most %(n)s characters.", n=passwords.MAX_LENGTH),
            {field: _l("Use at most %(n)s characters.", n=passwords.MAX_LENGTH)},
        )


def _email_taken(email, exclude_id=None):
    query = User.select().where(User.email == email)
    if exclude_id:
        query = query.where(User.id != exclude_id)
    return query.exists()


def _user_query(user_id):
    return User.select().where(User.id == user_id).limit(1)


def _role_names_query(user_id):
    return UserRole.select(UserRole.role).where(UserRole.user == user_id)


# an account and its roles for the admin's pages, built once per process and prepared on PostgreSQL
_USER = PreparedSelect(_user_query, "checkup_account_user", samples=(-2_000_000_001,))
_ROLE_NAMES = PreparedSelect(_role_names_query, "checkup_account_role_names")


def get_user(user_id):
    user = next(iter(_USER.rows(user_id)), None) if valid_id(user_id) else None
    if user is None:
        raise NotFound(_l("No such account."))
    return user


def get_user_with_roles(user_id):
    """``get_user`` with its ``role_names`` read (the one query they would take when first asked for)."""
    user = get_user(user_id)
    user._role_names = frozenset(role for (role,) in _ROLE_NAMES.plain(user.id))
    return user


# --- registration -----------------------------------------------------------------


def register_client(email, password, name, sex, birth_date, phone, locale="", consents=(), ip=""):
    """Start a client's own registration. The answer is the same whatever the address, so the form
    tells nobody which addresses have an account here: every case costs one password hash, owes one
    email, returns None, and the page after it says "check your email". What happens:

    - a new address: a client record and an account are created, inactive and ``registration_pending``;
      the welcome email carries a link that, with the password chosen here, activates the account, signs
      in and records the consents ticked here (``consents``: purposes). Until then nobody can sign in.
    - an address whose registration is still pending: it is replaced by this one (details, password,
      consents) and a new link sent; earlier links stop working.
    - an address with an account: nothing is created or changed; the owner is emailed that someone
      tried to register with their address, with links to sign in or reset the password.

    Asking for the password at confirmation means that whoever registers someone else's address
    cannot take over the account its owner would confirm. Raises ValidationError (password rules)
    before looking at the address."""
    email = normalize_email(email)
    check_password_rules(password)
    consents = sorted(set(consents))
    existing = User.get_or_none(User.email == email)
    if existing is not None and not existing.registration_pending:
        passwords.burn_time(password)  # as slow as hashing a new account's password
        with db.atomic():
            audit.record(audit.Actor(None, ip), "account.registration_attempt", existing)
            tasks.defer("mail.account_exists", existing.id)
        return None
    fields = dict(name=name.strip(), phone=phone.strip())
    password_hash = passwords.hash_password(password)
    with db.atomic():
        if existing is None:
            client = Client.create(sex=sex, birth_date=birth_date, email=email, **fields)
            user = User.create(
                email=email,
                password_hash=password_hash,
                client=client,
                locale=locale or "",
                is_active=False,
                registration_pending=True,
                **fields,
            )
            UserRole.create(user=user, role=CLIENT)
        else:
            user = existing
            Client.update(sex=sex, birth_date=birth_date, **fields).where(Client.id == user.client_id).execute()
            User.update(password_hash=password_hash, locale=locale or "", **fields).where(User.id == user.id).execute()
            _revoke_links(user.id)
        audit.record(audit.Actor(None, ip), "account.register", user)
        tasks.defer("mail.welcome", user.id, consents, caused_by=user.id)
    return None


def confirm_registration(token, password, ip=""):
    """Activate a pending registration from the link in its welcome email, given the password chosen
    when registering, and record the consents ticked then. The link is spent and every other link of
    the account stops working. Returns the user (to sign in); raises ValidationError for a link that
    is not (or no longer) valid, or a wrong password (the link stays usable)."""
    row, data = _link_row(token, CONFIRM_SALT)
    if not passwords.verify_password(row.user.password_hash, password or ""):
        message = _l("This is not the password you chose when registering.")
        raise ValidationError(message, {"password": message})
    with db.atomic():
        _spend_link(row, CONFIRM_SALT)
        User.update(is_active=True, registration_pending=False).where(User.id == row.user_id).execute()
        actor = audit.Actor(row.user, ip)
        audit.record(actor, "account.registration_confirmed", row.user)
        answers = {purpose: True for purpose in data.get("c") or () if purpose in REGISTRATION_CONSENTS}
        if answers:
            consents_service.record_changes(actor, row.user.client_id, answers, "registration")
    row.user.is_active, row.user.registration_pending = True, False
    return row.user


def check_confirmation_token(token):
    """Raise ValidationError unless this registration link can still be used."""
    return _link_row(token, CONFIRM_SALT)[0].user


# --- sign-in ----------------------------------------------------------------------


def authenticate(email, password):
    """Return the active user whose credentials these are (``sessions.start_session`` signs them in);
    one generic error otherwise."""
    user = User.get_or_none(User.email == normalize_email(email))
    if user is None or not user.is_active:
        passwords.burn_time(password or "")
        raise ValidationError(GENERIC_LOGIN_ERROR)
    if not passwords.verify_password(user.password_hash, password or ""):
        raise ValidationError(GENERIC_LOGIN_ERROR)
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
        user.save(only=[User.password_hash])
    return user


# --- emailed links (password reset, staff invitation, registration) --------------------------------


def _serializer(salt):
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def request_password_reset(email, ip=""):
    """Email a reset link if the account exists; behaves identically when it does not."""
    user = User.get_or_none(User.email == normalize_email(email))
    if user is None or not user.is_active:
        return None
    with db.atomic():
        audit.record(audit.Actor(None, ip), "auth.password_reset_requested", user)
        tasks.defer("mail.password_reset", user.id)  # the link is minted when the mail is sent
    return None


def _revoke_links(user_id):
    """Every emailed link of the account stops working."""
    return PasswordResetToken.delete().where(PasswordResetToken.user == user_id).execute()


def _mint_link(user, minutes, salt, **payload):
    """A signed, expiring, single-use token; the account's earlier links stop working (the newest
    email is the only one that counts, and a link forgotten in an old email is dead)."""
    nonce = secrets.token_urlsafe(24)
    with db.atomic():
        _revoke_links(user.id)
        PasswordResetToken.create(
            nonce_hash=_digest(nonce), user=user, expires_at=utcnow() + datetime.timedelta(minutes=minutes)
        )
    return _serializer(salt).dumps({"u": user.id, "n": nonce, **payload})


def issue_reset_token(user, minutes=None):
    """A token for setting a password (reset or first login); every earlier link of the user dies."""
    return _mint_link(user, minutes or current_app.config["PASSWORD_RESET_MINUTES"], RESET_SALT)


def issue_confirmation_token(user, consents=()):
    """A token confirming a pending registration, carrying the consents ticked when registering."""
    return _mint_link(user, CONFIRMATION_MINUTES, CONFIRM_SALT, c=sorted(consents))


def _invalid_link(salt):
    if salt == CONFIRM_SALT:
        return ValidationError(_l("This link is invalid or has expired. Register again to get a new one."))
    return ValidationError(_l("This link is invalid or has expired. Ask for a new one."))


def _link_row(token, salt):
    """The token row of a live link of kind ``salt`` and the link's signed payload."""
    try:
        data = _serializer(salt).loads(token, max_age=LONGEST_LINK_MINUTES * 60)  # the row holds the real expiry
    except (SignatureExpired, BadSignature):
        raise _invalid_link(salt)
    if not isinstance(data, dict) or not isinstance(data.get("n"), str):
        raise _invalid_link(salt)
    row = (
        PasswordResetToken.select(PasswordResetToken, User)
        .join(User)
        .where(PasswordResetToken.nonce_hash == _digest(data["n"]), PasswordResetToken.user == data.get("u"))
        .first()
    )
    if row is None or row.used_at is not None or row.expires_at < utcnow():
        raise _invalid_link(salt)
    # a reset link needs a working account; a registration link one that still waits for it
    if not (row.user.registration_pending if salt == CONFIRM_SALT else row.user.is_active):
        raise _invalid_link(salt)
    return row, data


def _spend_link(row, salt):
    """Use the link once (of two requests racing with it, one wins); every other link of the user dies."""
    if not PasswordResetToken.delete().where(PasswordResetToken.id == row.id).execute():
        raise _invalid_link(salt)
    _revoke_links(row.user_id)


def check_reset_token(token):
    """Raise ValidationError unless the token can still be used."""
    return _link_row(token, RESET_SALT)[0].user


def reset_password(token, new_password, ip=""):
    """Set a new password from a reset link; this link and every other one is spent, every session ends."""
    check_password_rules(new_password)
    with db.atomic():
        row, _data = _link_row(token, RESET_SALT)
        _spend_link(row, RESET_SALT)
        User.update(password_hash=passwords.hash_password(new_password)).where(User.id == row.user_id).execute()
        sessions.end_all_sessions(row.user_id)
        audit.record(audit.Actor(row.user, ip), "auth.password_reset", row.user)
    return row.user


def change_password(user, current_password, new_password, keep_token=None):
    """Change one's own password; other sessions end, the current one stays, emailed links die."""
    if not passwords.verify_password(user.password_hash, current_password or ""):
        raise ValidationError(
            _l("The current password is not correct."), {"current_password": _l("The current password is not correct.")}
        )
    check_password_rules(new_password, field="new_password")
    with db.atomic():
        User.update(password_hash=passwords.hash_password(new_password)).where(User.id == user.id).execute()
        sessions.end_other_sessions(user.id, keep_token)
        _revoke_links(user.id)
        audit.record(audit.Actor(user), "account.password_changed", user)


# --- profile -----------------------------------------------------------------------


def update_profile(user, name, phone, locale):
    with db.atomic():
        User.update(name=name.strip(), phone=phone.strip(), locale=locale or "").where(User.id == user.id).execute()
        if user.client_id:
            Client.update(name=name.strip(), phone=phone.strip()).where(Client.id == user.client_id).execute()
        audit.record(audit.Actor(user), "account.profile_updated", user)


def language_of(account):
    """The language of what we send someone: their account's choice; else, for a client (with or without an
    account), the center's default for clients (CHECKUP_CLIENT_LOCALE), for staff the portal's default.
    One rule for every mail and document, whatever area sends it."""
    config = current_app.config
    chosen = account.locale if account is not None else ""
    if chosen in config["LANGUAGES"]:
        return chosen
    if account is not None and account.client_id is None:  # staff and HR read the portal's default
        return config["BABEL_DEFAULT_LOCALE"]
    return config["CLIENT_LOCALE"]


def language_of_client(client_id):
    return language_of(User.get_or_none(User.client == client_id))


def set_locale(user, locale):
    User.update(locale=locale).where(User.id == user.id).execute()


# --- staff administration ------------------------------------------------------------


def _clean_roles(roles, organization_id=None):
    roles = sorted(set(roles or []))
    unknown = [r for r in roles if r not in ALL_ROLES]
    if unknown or not roles:
        raise ValidationError(_l("Choose at least one role."), {"roles": _l("Choose at least one role.")})
    if (CLIENT in roles or HR in roles) and len(roles) > 1:
        raise ValidationError(
            _l("Client and HR accounts hold exactly one role."),
            {"roles": _l("Client and HR accounts hold exactly one role.")},
        )
    if HR in roles and not organization_id:
        raise ValidationError(
            _l("An HR account belongs to an organization."),
            {"organization": _l("Choose the organization this HR contact belongs to.")},
        )
    return roles


def create_account(actor, email, name, roles, organization_id=None, phone=""):
    """Create a staff or HR account and email it a link to set its password."""
    email = normalize_email(email)
    roles = _clean_roles(roles, organization_id)
    if CLIENT in roles:
        raise ValidationError(_l("Clients register themselves."), {"roles": _l("Clients register themselves.")})
    if _email_taken(email):
        raise ValidationError(
            _l("An account with this email already exists."),
            {"email": _l("An account with this email already exists.")},
        )
    with db.atomic():
        user = User.create(
            email=email,
            name=name.strip(),
            phone=(phone or "").strip(),
            password_hash=passwords.hash_password(secrets.token_urlsafe(32)),
            organization=organization_id if HR in roles else None,
        )
        UserRole.insert_many([{"user": user.id, "role": r} for r in roles]).execute()
        audit.record(actor, "account.create", user, roles=roles)
        tasks.defer("mail.account_invitation", user.id, caused_by=actor.user_id)
    return user


def set_roles(actor, user_id, roles, organization_id=None):
    user = get_user(user_id)
    current = set(user.role_names)
    if CLIENT in current:
        raise ValidationError(
            _l("A client account's role cannot be changed."),
            {"roles": _l("A client account's role cannot be changed.")},
        )
    roles = _clean_roles(roles, organization_id)
    if CLIENT in roles:
        raise ValidationError(_l("Clients register themselves."), {"roles": _l("Clients register themselves.")})
    if actor.user_id == user.id and "admin" in current and "admin" not in roles:
        raise ValidationError(
            _l("You cannot remove your own admin role."), {"roles": _l("You cannot remove your own admin role.")}
        )
    with db.atomic():
        UserRole.delete().where(UserRole.user == user.id).execute()
        UserRole.insert_many([{"user": user.id, "role": r} for r in roles]).execute()
        User.update(organization=organization_id if HR in roles else None).where(User.id == user.id).execute()
        audit.record(actor, "account.roles_changed", user, before=sorted(current), after=roles)
    user._role_names = None
    return user


def set_active(actor, user_id, active):
    """Deactivating ends every session of the account at once."""
    user = get_user(user_id)
    if actor.user_id == user.id and not active:
        raise PermissionDenied(_l("You cannot deactivate your own account."))
    with db.atomic():
        # an admin's decision ends a pending registration either way (its link no longer activates it)
        User.update(is_active=bool(active), registration_pending=False).where(User.id == user.id).execute()
        if not active:
            sessions.end_all_sessions(user.id)
            _revoke_links(user.id)
        audit.record(actor, "account.activated" if active else "account.deactivated", user)
    user.is_active = bool(active)
    return user


ACCOUNTS_PER_PAGE = 50


class AccountRow(NamedTuple):
    """One account in the staff list: the columns it shows, its roles sorted, its organization's name (or None)."""

    id: int
    name: str
    email: str
    is_active: bool
    organization_name: str | None
    role_names: tuple[str, ...]


def _accounts_query():
    return (
        User.select(User.id, User.name, User.email, User.is_active, Organization.name)
        .join(Organization, JOIN.LEFT_OUTER, on=(User.organization == Organization.id))
        .order_by(User.name, User.id)
    )


def _matching(search):
    term = search.strip()
    return User.name.contains(term) | User.email.contains(term)  # contains() escapes % and _


def _holding(role):
    return User.id.in_(UserRole.select(UserRole.user).where(UserRole.role == role))


def _new_unsearched_accounts(shape):
    """A page of the unsearched list for ``shape``: (a role chosen, rows per page)."""
    by_role, per_page = shape

    def build(*params):
        query = _accounts_query().where(_holding(params[0])) if by_role else _accounts_query()
        return query.limit(per_page + 1).offset(params[-1])

    samples = ("-sample-role-",) * by_role + (-2_000_000_003,)
    name = f"checkup_accounts_page{'_by_role' if by_role else ''}_{per_page}"
    return PreparedSelect(build, name, samples)


def _new_roles_of(count):
    """The roles of ``count`` accounts (a page's): one select per count."""

    def build(*user_ids):
        return UserRole.select(UserRole.user, UserRole.role).where(UserRole.user.in_(list(user_ids)))

    return PreparedSelect(build, f"checkup_accounts_roles_{count}")


# {shape: its select}: built once per process and shape, prepared on PostgreSQL
_unsearched_accounts = PerShape(_new_unsearched_accounts)
_roles_of = PerShape(_new_roles_of)


def list_accounts(search="", role=None, page=1, per_page=ACCOUNTS_PER_PAGE):
    """A Page of AccountRows, in two queries whatever the page: the columns the list shows (name, email,
    active, the organization's name) as plain rows, by name (ties by id, so pages never reorder)."""
    number = min(max(1, page or 1), MAX_PAGE)
    if search:
        query = _accounts_query().where(_matching(search))
        if role in ALL_ROLES:
            query = query.where(_holding(role))
        rows = plain_tuples(query.limit(per_page + 1).offset((number - 1) * per_page))
    elif role in ALL_ROLES:
        rows = _unsearched_accounts((True, per_page)).plain(role, (number - 1) * per_page)
    else:
        rows = _unsearched_accounts((False, per_page)).plain((number - 1) * per_page)
    shown = [row[0] for row in rows[:per_page]]
    roles = {}
    for user_id, role_name in _roles_of(len(shown)).plain(*shown):
        roles.setdefault(user_id, set()).add(role_name)
    return page_of_rows(
        [
            AccountRow(user_id, name, email, bool(active), organization, tuple(sorted(roles.get(user_id, ()))))
            for user_id, name, email, active, organization in rows
        ],
        number,
        per_page,
    )
