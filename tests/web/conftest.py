"""What the web tests share: the app as production runs it (CSRF and rate limits on)."""

import re

import pytest

from checkup import create_app
from tests.conftest import FreshContextClient, base_config


@pytest.fixture
def real_app(app, tmp_path):
    """The same database, with CSRF and rate limits on as in production."""
    real = create_app(
        base_config(
            tmp_path,
            DATABASE_URL=app.config["DATABASE_URL"],
            WTF_CSRF_ENABLED=True,
            RATELIMIT_ENABLED=True,
            LOGIN_LIMIT_PER_ACCOUNT="3/minute",
            LOGIN_LIMIT_PER_IP="6/minute",
            RATELIMIT_STORAGE_URI="memory://",
        )
    )
    real.test_client_class = FreshContextClient
    with real.app_context():
        yield real


def csrf_token_in(html):
    """The signed CSRF token a page's form carries."""
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)
