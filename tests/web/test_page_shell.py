"""The layout every page shares is kept per language, roles and current page (web/page_shell.py): what belongs
to one visitor — their name, their session's CSRF token, the path the language switch returns to, their flashed
messages — is put in escaped on every page and never reaches anybody else's."""

import re

import pytest

from checkup import create_app
from checkup.web import page_shell
from tests.conftest import FreshContextClient, base_config
from tests.factories import make_user, sign_in_directly


@pytest.fixture
def csrf_app(app, tmp_path):
    """The same database with CSRF on, as in production: every session has its own token."""
    real = create_app(base_config(tmp_path, DATABASE_URL=app.config["DATABASE_URL"], WTF_CSRF_ENABLED=True))
    real.test_client_class = FreshContextClient
    with real.app_context():
        yield real


def _tokens(html):
    """Every CSRF token the page carries: htmx header, sign-out and language forms, idle warning."""
    return set(
        re.findall(r'"X-CSRFToken": "([^"]+)"', html)
        + re.findall(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
        + re.findall(r'data-csrf-token="([^"]+)"', html)
    )


def test_two_clients_with_the_same_roles_each_see_only_their_own_name_and_token(csrf_app):
    wang = make_user("client", email="wang@example.com", name="Wang Fang")
    li = make_user("client", email="li@example.com", name="Li Lei")
    pages = {}
    for user in (wang, li, wang):  # the second and third pages come from the kept layout
        http = csrf_app.test_client()
        sign_in_directly(http, user)
        pages.setdefault(user.name, []).append((http, http.get("/me").get_data(as_text=True)))
    anonymous = csrf_app.test_client().get("/login").get_data(as_text=True)

    (wang_http, wang_page), (_, wang_again) = pages["Wang Fang"]
    (li_http, li_page) = pages["Li Lei"][0]
    assert 'href="/account" >Wang Fang</a>' in wang_page and "Li Lei" not in wang_page
    assert 'href="/account" >Li Lei</a>' in li_page and "Wang Fang" not in li_page
    assert "Wang Fang" not in anonymous and "Li Lei" not in anonymous and "Sign out" not in anonymous
    wang_tokens, li_tokens, wang_tokens_again = _tokens(wang_page), _tokens(li_page), _tokens(wang_again)
    assert len(wang_tokens) == len(li_tokens) == 1  # one token per page, in all four places
    assert wang_tokens.isdisjoint(li_tokens) and wang_tokens.isdisjoint(wang_tokens_again)  # two other sessions
    assert _tokens(anonymous).isdisjoint(wang_tokens | li_tokens)
    # each token is its own session's: it works there and nowhere else
    (li_token,) = li_tokens
    assert wang_http.post("/language", data={"locale": "en", "csrf_token": li_token}).status_code == 400
    assert li_http.post("/language", data={"locale": "en", "csrf_token": li_token}).status_code == 303


def test_the_name_the_return_path_and_flashed_messages_are_escaped(client):
    user = make_user("client", name='<script>alert("x")</script> & Co')
    sign_in_directly(client, user)
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "Saved <b>bold</b>"), ('"><img src=x>', "unknown category")]
    html = client.get("/me?q=\"><script>alert('x')</script>&a=1").get_data(as_text=True)

    assert "<script>alert" not in html and "<img" not in html and "<b>bold" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co</a>" in html
    assert 'name="next" value="/me?q=&#34;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;a=1"' in html
    assert '<p class="flash success">Saved &lt;b&gt;bold&lt;/b&gt;</p>' in html
    assert '<p class="flash info">unknown category</p>' in html  # an unknown category shows as info


def test_the_kept_layout_follows_the_page_the_language_and_the_roles(client):
    sign_in_directly(client, make_user("client", name="Chen Jing"))
    home = client.get("/me").get_data(as_text=True)
    appointments = client.get("/me/appointments").get_data(as_text=True)
    chinese = client.get("/me", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).get_data(as_text=True)

    assert 'href="/me" aria-current="page">My checkups' in home and 'href="/me/appointments" >' in home
    assert 'href="/me" >My checkups' in appointments and 'href="/me/appointments" aria-current="page">' in appointments
    assert (
        '<html lang="zh-Hans"' in chinese and 'lang="en">English</button>' in chinese and "My checkups" not in chinese
    )
    assert '<html lang="en"' in home and 'lang="zh-Hans">简体中文</button>' in home

    staff = client.application.test_client()
    sign_in_directly(staff, make_user("scheduler", name="Zhou Min"))
    desk = staff.get("/desk").get_data(as_text=True)
    assert "Front desk" in desk and "My checkups" not in desk and "Zhou Min" in desk and "Chen Jing" not in desk


def test_the_idle_warning_and_the_center_name_follow_the_account_and_the_settings(app, client):
    anonymous = client.get("/login").get_data(as_text=True)
    assert "idle-warning" not in anonymous and "idle.js" not in anonymous

    sign_in_directly(client, make_user("scheduler"))
    app.config["CENTER_NAME"] = "Harmony <Health> Center"
    html = client.get("/desk").get_data(as_text=True)
    assert 'data-idle-seconds="1800"' in html and "/static/js/idle.js" in html
    assert "<small>Harmony &lt;Health&gt; Center</small>" in html


def test_the_layout_follows_the_application_root(client):
    at_root = client.get("/login").get_data(as_text=True)
    mounted = client.get("/login", base_url="http://localhost/portal/").get_data(as_text=True)
    assert 'href="/static/css/app.css"' in at_root and 'action="/language"' in at_root
    assert 'href="/portal/static/css/app.css"' in mounted and 'action="/portal/language"' in mounted


def test_a_nul_byte_in_the_layouts_texts_is_refused_rather_than_misfilled():
    with pytest.raises(ValueError):
        page_shell._parts("<p>\x00name\x00</p><p>\x00unknown\x00</p>")
    assert page_shell._parts("<p>\x00name\x00</p>") == ["<p>", "name", "</p>"]
