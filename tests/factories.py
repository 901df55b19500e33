"""Small factories for test data."""

import datetime
import itertools
import re
from decimal import Decimal

from checkup.core import passwords
from checkup.models import (
    Client,
    Department,
    ExamItem,
    Organization,
    Package,
    PackageItem,
    ReferenceRange,
    Resource,
    User,
    UserRole,
)

PASSWORD = "correct horse battery"
_counter = itertools.count(1)
_hash_cache = {}


def _password_hash(password):
    if password not in _hash_cache:
        _hash_cache[password] = passwords.hash_password(password)
    return _hash_cache[password]


def make_organization(name=None, **fields):
    return Organization.create(name=name or f"Org {next(_counter)}", **fields)


def make_client(name="王芳", sex="female", birth_date=datetime.date(1985, 6, 1), **fields):
    return Client.create(name=name, sex=sex, birth_date=birth_date, **fields)


def make_user(*roles, email=None, name="Test User", password=PASSWORD, organization=None, client=None, **fields):
    roles = roles or ("admin",)
    n = next(_counter)
    if "hr" in roles and organization is None:
        organization = make_organization()
    if "client" in roles and client is None:
        client = make_client(email=email or f"user{n}@example.com")
    user = User.create(
        email=email or f"user{n}@example.com",
        name=name,
        password_hash=_password_hash(password),
        organization=organization,
        client=client,
        **fields,
    )
    UserRole.insert_many([{"user": user.id, "role": r} for r in roles]).execute()
    return user


def make_department(code=None, **fields):
    code = code or f"D{next(_counter)}"
    return Department.create(code=code, name_en=fields.pop("name_en", f"Department {code}"), **fields)


def make_resource(code=None, capacity=10, **fields):
    code = code or f"R{next(_counter)}"
    return Resource.create(
        code=code, name_en=fields.pop("name_en", f"Resource {code}"), daily_capacity=capacity, **fields
    )


def make_item(code=None, department=None, price="10.00", **fields):
    code = code or f"IT{next(_counter)}"
    department = department or make_department()
    return ExamItem.create(
        code=code, name_en=fields.pop("name_en", f"Item {code}"), department=department, price=Decimal(price), **fields
    )


def make_range(item, sex="any", low="1", high="10", age_min=0, age_max=120, **fields):
    return ReferenceRange.create(
        item=item,
        sex=sex,
        low=Decimal(low) if low is not None else None,
        high=Decimal(high) if high is not None else None,
        age_min=age_min,
        age_max=age_max,
        **fields,
    )


def make_package(code=None, items=(), price="100.00", **fields):
    code = code or f"P{next(_counter)}"
    package = Package.create(
        code=code, name_en=fields.pop("name_en", f"Package {code}"), price=Decimal(price), **fields
    )
    for item in items:
        PackageItem.create(package=package, item=item)
    return package


def make_module(code=None, items=(), price="50.00", **fields):
    """An add-on module of ``items`` (what a client may buy on top of a package)."""
    from checkup.models import AddonModule, AddonModuleItem

    code = code or f"M{next(_counter)}"
    module = AddonModule.create(
        code=code, name_en=fields.pop("name_en", f"Module {code}"), price=Decimal(price), **fields
    )
    for item in items:
        AddonModuleItem.create(module=module, item=item)
    return module


# --- directory ------------------------------------------------------------------------


def national_id_for(birth_date=datetime.date(1985, 6, 1), sex="female", region="110105", sequence=12):
    """A valid resident ID number for that birth date and sex (the 17th digit is odd for men)."""
    from checkup.core import national_id

    first17 = f"{region}{birth_date:%Y%m%d}{sequence % 100:02d}{'1' if sex == 'male' else '2'}"
    return first17 + national_id.check_digit(first17)


def make_client_with_id(number=None, name="李雷", sex="female", birth_date=datetime.date(1985, 6, 1), **fields):
    """A client whose national ID is stored the way the portal stores it (hash + ciphertext)."""
    from checkup.core import national_id

    number = number or national_id_for(birth_date, sex)
    return make_client(
        name=name,
        sex=sex,
        birth_date=birth_date,
        national_id_hash=national_id.lookup_hash(number),
        national_id_cipher=national_id.encrypt(number),
        **fields,
    )


def row_counts(*models):
    """{model name: row count}, to show that a refused request wrote nothing."""
    return {model.__name__: model.select().count() for model in models}


def sign_in_directly(http, user):
    """Log ``user`` in on test client ``http`` without the argon2 round trip of POST /login
    (tests of the sign-in page itself should keep using the ``login`` fixture)."""
    from checkup.services.accounts import sessions

    token = sessions.start_session(user)
    with http.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True
    return user


# --- group contracts ---------------------------------------------------------------------


def make_contract(organization=None, status="active", categories=None, **fields):
    """A group contract whose window runs from today to today + 60 days at the center.

    ``categories``: None gives one catch-all category "All staff" (any sex and age) on a fresh package;
    otherwise a list of labels or of dicts of ``make_category`` keyword arguments (with ``label``).
    An active or closed contract is marked HR-confirmed and activated/closed now.
    """
    from checkup.core import clock
    from checkup.models import GroupContract
    from checkup.models.base import utcnow

    today = clock.today()
    n = next(_counter)
    values = {
        "name": f"Contract {n}",
        "year": today.year,
        "window_start": today,
        "window_end": today + datetime.timedelta(days=60),
        "status": status,
    }
    if status in ("active", "closed"):
        values.update(hr_confirmed_at=utcnow(), activated_at=utcnow())
    if status == "closed":
        values["closed_at"] = utcnow()
    values.update(fields)
    contract = GroupContract.create(organization=organization or make_organization(), **values)
    for position, spec in enumerate(["All staff"] if categories is None else categories):
        spec = {"label": spec} if isinstance(spec, str) else dict(spec)
        spec.setdefault("position", position)
        make_category(contract, spec.pop("label"), **spec)
    return contract


def make_category(contract, label, package=None, **fields):
    """A category of ``contract`` (any sex and age unless given) on ``package`` or a fresh 300.00 package."""
    from checkup.models import ContractCategory

    return ContractCategory.create(
        contract=contract, label=label, package=package or make_package(price="300.00"), **fields
    )


_FRESH_VALUES = re.compile(r'("X-CSRFToken": "|name="csrf_token" value="|name="next" value="|data-csrf-token=")[^"]*')


def page_shape(response, *paths):
    """The page with what differs by design between two answers blanked: the echoed paths and the
    fresh CSRF token (it carries a timestamp, so two requests a second apart differ)."""
    html = response if isinstance(response, str) else response.get_data(as_text=True)
    for path in paths:
        html = html.replace(path, "PATH")
    return _FRESH_VALUES.sub(r"\1X", html)
