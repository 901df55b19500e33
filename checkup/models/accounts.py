"""Accounts, roles, login sessions and password-reset tokens."""

from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField

from checkup.models.base import BaseModel, utcnow
from checkup.models.directory import Client, Organization

CLIENT, HR = "client", "hr"
SCHEDULER, PHYSICIAN, COUNSELOR, ADMIN = "scheduler", "physician", "counselor", "admin"
CHIEF = "chief"  # the chief physician (主检医师): reviews the whole checkup and signs the report
STAFF_ROLES = (SCHEDULER, PHYSICIAN, CHIEF, COUNSELOR, ADMIN)
ALL_ROLES = (CLIENT, HR) + STAFF_ROLES


class User(BaseModel):
    email = CharField(max_length=254, unique=True)
    password_hash = CharField(max_length=255)
    name = CharField(max_length=100)
    phone = CharField(max_length=30, default="")
    locale = CharField(max_length=10, default="")
    is_active = BooleanField(default=True)
    # a self-registration waiting for the link in its welcome email (the account is inactive meanwhile)
    registration_pending = BooleanField(default=False)
    organization = ForeignKeyField(Organization, null=True, backref="hr_users", on_delete="RESTRICT")
    client = ForeignKeyField(Client, null=True, unique=True, backref="accounts", on_delete="RESTRICT")
    created_at = DateTimeField(default=utcnow)
    last_login_at = DateTimeField(null=True)

    class Meta:
        # (name, id): the admin's account list is read off it in list order, not sorted from every account
        indexes = ((("name", "id"), False),)

    # Flask-Login protocol. The id kept in the cookie is the login-session token,
    # so a copied cookie dies with its server-side session row.
    session_token = None

    @property
    def is_authenticated(self):
        return True

    @property
    def is_anonymous(self):
        return False

    def get_id(self):
        return self.session_token

    @property
    def role_names(self):
        cached = getattr(self, "_role_names", None)
        if cached is None:
            cached = frozenset(r.role for r in self.roles)
            self._role_names = cached
        return cached

    def has_role(self, *roles):
        return bool(self.role_names.intersection(roles))


class UserRole(BaseModel):
    user = ForeignKeyField(User, backref="roles", on_delete="CASCADE")
    role = CharField(max_length=20)

    class Meta:
        # (role, user): the holders of a staff role (the chief physicians' workload) without reading every client's row
        indexes = ((("user", "role"), True), (("role", "user"), False))


class LoginSession(BaseModel):
    """One row per logged-in browser; logout or deactivation deletes it."""

    token_hash = CharField(max_length=64, unique=True)
    user = ForeignKeyField(User, backref="login_sessions", on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow)
    last_seen_at = DateTimeField(default=utcnow)
    expires_at = DateTimeField()
    ip = CharField(max_length=64, default="")
    user_agent = CharField(max_length=255, default="")


class PasswordResetToken(BaseModel):
    """One emailed link that sets a password or confirms a registration. A user has at most one live
    link: minting one, using one, or changing the password deletes the others."""

    nonce_hash = CharField(max_length=64, unique=True)
    user = ForeignKeyField(User, backref="reset_tokens", on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow)
    expires_at = DateTimeField()
    used_at = DateTimeField(null=True)
