"""The catalog tests' signed-in admin."""

import pytest


@pytest.fixture
def admin(make_user, login):
    user = make_user("admin")
    login(user)
    return user
