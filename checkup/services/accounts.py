"""Accounts: registration, login sessions, password reset, staff administration.

Every function here raises ValidationError / NotFound / PermissionDenied with a
user-facing message; none of them reads the Flask request.
"""
import datetime
import hashlib
import secrets

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from checkup.core import tasks
from checkup.extensions import db
from peewee import JOIN

from checkup.models import Client, LoginSession, Organization, PasswordResetToken, User, UserRole
from checkup.models.accounts import ALL_ROLES, CLIENT, HR
from checkup.models.base import utcnow
from checkup.services import audit, passwords
from checkup.services.errors import NotFound, PermissionDenied, ValidationError

INVITATION_MINUTES = 72 * 60
GENERIC_LOGIN_ERROR = _l("The email or password is not correct.")


def normalize_email(email):
    return (email or "").strip().lower()


def _digest(token):
    return hashlib.sha256(token.encode()).hexdigest()


def check_password_rules(password, field="password"):
    if len(password or "") < passwords.MIN_LENGTH:
        raise ValidationError(_l("Use at least %(n)s characters.", n=passwords.MIN_LENGTH), {field: _l(
            "Use at least %(n)s characters.", n=passwords.MIN_LENGTH)})
    if len(password) > passwords.MAX_LENGTH:
        raise ValidationError(_l("Use at most %(n)s characters.", n=passwords.MAX_LENGTH), {field: _l(
            "Use at most %(n)s characters.", n=passwords.MAX_LENGTH)})


def _email_taken(email, exclude_id=None):
    query = User.select().where(User.email == email)
    if exclude_id:
        query = query.where(User.id != exclude_id)
    return query.exists()


def get_user(user_id):
    user = User.get_or_none(User.id == user_id)
    if user is None:
        raise NotFound(_l("No such account."))
    return user


# --- registration -----------------------------------------------------------------

def register_client(email, password, name, sex, birth_date, phone, locale=""):
    """Create a client record and its login. Raises ValidationError if the email is taken."""
    email = normalize_email(email)
    check_password_rules(password)
    if _email_taken(email):
        raise ValidationError(_l("An account with this email already exists."),
                              {"email": _l("An account with this email already exists. Sign in or reset the password.")})
    with db.atomic():
        client = Client.create(name=name.strip(), sex=sex, birth_date=birth_date, phone=phone.strip(), email=email)
        user = User.create(email=email, password_hash=passwords.hash_password(password), name=name.strip(),
                           phone=phone.strip(), client=client, locale=locale or "")
        UserRole.create(user=user, role=CLIENT)
        audit.record(audit.Actor(user), "account.register", user)
        tasks.defer("mail.welcome", user.id, caused_by=user.id)
    return user


# --- login sessions ----------------------------------------------------------------

def authenticate(email, password):
    """Return the active user whose credentials these are; one generic error otherwise."""
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


def start_session(user, ip="", user_agent=""):
    """Create a server-side login session and return its secret token (kept only in the cookie)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    hours = current_app.config["SESSION_HOURS"]
    with db.atomic():
        LoginSession.create(token_hash=_digest(token), user=user, created_at=now, last_seen_at=now,
                            expires_at=now + datetime.timedelta(hours=hours), ip=(ip or "")[:64],
                            user_agent=(user_agent or "")[:255])
        User.update(last_login_at=now).where(User.id == user.id).execute()
        audit.record(audit.Actor(user, ip), "auth.login", user)
    user.session_token = token
    return token


def load_session(token):
    """The user behind a live session token, with roles loaded; None if expired, ended or inactive."""
    if not token or not isinstance(token, str) or len(token) > 100:
        return None
    now = utcnow()
    row = (LoginSession.select(LoginSession, User).join(User)
           .where(LoginSession.token_hash == _digest(token), LoginSession.expires_at > now,
                  User.is_active == True)  # noqa: E712
           .first())
    if row is None:
        return None
    user = row.user
    user._role_names = frozenset(r.role for r in UserRole.select(UserRole.role).where(UserRole.user == user.id))
    user.session_token = token
    if (now - row.last_seen_at).total_seconds() > 300:
        LoginSession.update(last_seen_at=now).where(LoginSession.id == row.id).execute()
    return user


def end_session(token, actor=None):
    """Log out one browser: its token stops working at once, copied cookies included."""
    deleted = LoginSession.delete().where(LoginSession.token_hash == _digest(token or "")).execute()
    if deleted and actor is not None:
        audit.record(actor, "auth.logout", actor.user)
    return deleted


def end_all_sessions(user_id):
    return LoginSession.delete().where(LoginSession.user == user_id).execute()


# --- password reset ----------------------------------------------------------------

def _reset_serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def request_password_reset(email, ip=""):
    """Email a reset link if the account exists; behaves identically when it does not."""
    user = User.get_or_none(User.email == normalize_email(email))
    if user is None or not user.is_active:
        return None
    with db.atomic():
        audit.record(audit.Actor(None, ip), "auth.password_reset_requested", user)
        tasks.defer("mail.password_reset", user.id)  # the link is minted when the mail is sent
    return None


def issue_reset_token(user, minutes=None):
    """A signed, expiring, single-use token for setting a password (reset or first login)."""
    nonce = secrets.token_urlsafe(24)
    minutes = minutes or current_app.config["PASSWORD_RESET_MINUTES"]
    PasswordResetToken.create(nonce_hash=_digest(nonce), user=user,
                              expires_at=utcnow() + datetime.timedelta(minutes=minutes))
    return _reset_serializer().dumps({"u": user.id, "n": nonce})


def _reset_row(token):
    invalid = ValidationError(_l("This link is invalid or has expired. Ask for a new one."))
    try:
        data = _reset_serializer().loads(token, max_age=INVITATION_MINUTES * 60)  # the row holds the real expiry
    except (SignatureExpired, BadSignature):
        raise invalid
    if not isinstance(data, dict) or not isinstance(data.get("n"), str):
        raise invalid
    row = (PasswordResetToken.select(PasswordResetToken, User).join(User)
           .where(PasswordResetToken.nonce_hash == _digest(data["n"]), PasswordResetToken.user == data.get("u"))
           .first())
    if row is None or row.used_at is not None or row.expires_at < utcnow() or not row.user.is_active:
        raise invalid
    return row


def check_reset_token(token):
    """Raise ValidationError unless the token can still be used."""
    return _reset_row(token).user


def reset_password(token, new_password, ip=""):
    """Set a new password from a reset link; the link is spent and every session ends."""
    check_password_rules(new_password)
    with db.atomic():
        row = _reset_row(token)
        spent = (PasswordResetToken.update(used_at=utcnow())
                 .where(PasswordResetToken.id == row.id, PasswordResetToken.used_at.is_null()).execute())
        if not spent:
            raise ValidationError(_l("This link is invalid or has expired. Ask for a new one."))
        User.update(password_hash=passwords.hash_password(new_password)).where(User.id == row.user_id).execute()
        end_all_sessions(row.user_id)
        audit.record(audit.Actor(row.user, ip), "auth.password_reset", row.user)
    return row.user


def change_password(user, current_password, new_password, keep_token=None):
    """Change one's own password; other sessions end, the current one stays."""
    if not passwords.verify_password(user.password_hash, current_password or ""):
        raise ValidationError(_l("The current password is not correct."),
                              {"current_password": _l("The current password is not correct.")})
    check_password_rules(new_password, field="new_password")
    with db.atomic():
        User.update(password_hash=passwords.hash_password(new_password)).where(User.id == user.id).execute()
        (LoginSession.delete().where(LoginSession.user == user.id,
                                     LoginSession.token_hash != _digest(keep_token or "")).execute())
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
        raise ValidationError(_l("Client and HR accounts hold exactly one role."),
                              {"roles": _l("Client and HR accounts hold exactly one role.")})
    if HR in roles and not organization_id:
        raise ValidationError(_l("An HR account belongs to an organization."),
                              {"organization": _l("Choose the organization this HR contact belongs to.")})
    return roles


def create_account(actor, email, name, roles, organization_id=None, phone=""):
    """Create a staff or HR account and email it a link to set its password."""
    email = normalize_email(email)
    roles = _clean_roles(roles, organization_id)
    if CLIENT in roles:
        raise ValidationError(_l("Clients register themselves."), {"roles": _l("Clients register themselves.")})
    if _email_taken(email):
        raise ValidationError(_l("An account with this email already exists."),
                              {"email": _l("An account with this email already exists.")})
    with db.atomic():
        user = User.create(email=email, name=name.strip(), phone=(phone or "").strip(),
                           password_hash=passwords.hash_password(secrets.token_urlsafe(32)),
                           organization=organization_id if HR in roles else None)
        UserRole.insert_many([{"user": user.id, "role": r} for r in roles]).execute()
        audit.record(actor, "account.create", user, roles=roles)
        tasks.defer("mail.account_invitation", user.id, caused_by=actor.user_id)
    return user


def set_roles(actor, user_id, roles, organization_id=None):
    user = get_user(user_id)
    current = set(user.role_names)
    if CLIENT in current:
        raise ValidationError(_l("A client account's role cannot be changed."),
                              {"roles": _l("A client account's role cannot be changed.")})
    roles = _clean_roles(roles, organization_id)
    if CLIENT in roles:
        raise ValidationError(_l("Clients register themselves."), {"roles": _l("Clients register themselves.")})
    if actor.user_id == user.id and "admin" in current and "admin" not in roles:
        raise ValidationError(_l("You cannot remove your own admin role."),
                              {"roles": _l("You cannot remove your own admin role.")})
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
        User.update(is_active=bool(active)).where(User.id == user.id).execute()
        if not active:
            end_all_sessions(user.id)
        audit.record(actor, "account.activated" if active else "account.deactivated", user)
    user.is_active = bool(active)
    return user


def list_accounts(search="", role=None, limit=200):
    """Accounts with their roles in two queries, whatever the length."""
    query = (User.select(User, Organization).join(Organization, JOIN.LEFT_OUTER, on=(User.organization == Organization.id))
             .order_by(User.name))
    if search:
        term = search.strip()
        query = query.where(User.name.contains(term) | User.email.contains(term))  # contains() escapes % and _
    if role in ALL_ROLES:
        query = query.where(User.id.in_(UserRole.select(UserRole.user).where(UserRole.role == role)))
    users = list(query.limit(limit))
    roles = {}
    for row in UserRole.select().where(UserRole.user.in_([u.id for u in users])):
        roles.setdefault(row.user_id, set()).add(row.role)
    for user in users:
        user._role_names = frozenset(roles.get(user.id, ()))
    return users
