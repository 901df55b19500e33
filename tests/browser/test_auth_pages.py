"""Sign-in, registration and password-reset pages: errors where the person looks, and accessible; the
warning before an idle login ends."""

import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import axe_check
from tests.browser.live_data import link_path, outbox_messages, plain_text


def test_wrong_password_shows_the_generic_error_next_to_the_form(page, base_url):
    page.goto(base_url + "/login")
    page.get_by_role("textbox", name="Email", exact=True).fill("physician@demo.test")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()

    alert = page.get_by_role("alert")
    expect(alert).to_have_text("The email or password is not correct.")
    # In the same card as the form, just above it (not in a banner elsewhere on the page).
    card = page.locator("main article").filter(has=page.locator("form"))
    expect(card.get_by_role("alert")).to_have_count(1)
    assert alert.bounding_box()["y"] < page.get_by_role("textbox", name="Email", exact=True).bounding_box()["y"]
    expect(page.get_by_role("textbox", name="Email", exact=True)).to_have_value("physician@demo.test")
    expect(page.get_by_label("Password")).to_have_value("")
    axe_check(page)


@pytest.mark.parametrize(
    "path, heading",
    [
        ("/login", "Sign in"),
        ("/register", "Create an account"),
        ("/password/forgot", "Reset your password"),
    ],
)
def test_public_pages_pass_axe(page, base_url, path, heading):
    page.goto(base_url + path)
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    axe_check(page)


def test_registration_shows_errors_by_the_fields_then_opens_from_the_email(page, base_url, live_server):
    page.goto(base_url + "/register")
    password = page.get_by_role("textbox", name="Password", exact=True)
    page.get_by_role("textbox", name="Email", exact=True).fill("not-an-email")
    password.fill("short")
    page.get_by_label("Repeat password").fill("short")
    page.get_by_role("button", name="Create account").click()

    def error_of(label):
        if label in ("Password", "Email"):  # the consent boxes' labels mention email too
            field = password if label == "Password" else page.get_by_role("textbox", name="Email", exact=True)
        else:
            field = page.get_by_label(label)
        expect(field).to_have_attribute("aria-invalid", "true")
        described = field.get_attribute("aria-describedby").split()
        error_id = next(i for i in described if i.endswith("-error"))
        return page.locator(f"#{error_id}")

    expect(error_of("Full name")).to_have_text("This field is required.")
    expect(error_of("Email")).to_have_text("Enter a valid email address.")
    expect(error_of("Mobile phone")).to_have_text("This field is required.")
    expect(error_of("Sex")).to_have_text("This field is required.")
    expect(error_of("Date of birth")).to_have_text("This field is required.")
    expect(error_of("Password")).to_contain_text("Use 10 to")
    axe_check(page)  # the page with errors is accessible too

    email = f"new-{uuid.uuid4().hex[:8]}@example.com"
    page.get_by_label("Full name").fill("王小明")
    page.get_by_role("textbox", name="Email", exact=True).fill(email)
    page.get_by_label("Mobile phone").fill("13800138000")
    page.get_by_label("Sex").select_option("male")
    page.get_by_label("Date of birth").fill("1990-03-15")
    password.fill("a-long-enough-password")
    page.get_by_label("Repeat password").fill("a-long-enough-password")
    page.get_by_role("button", name="Create account").click()

    # the same "check your email" page whether or not the address has an account; nobody is signed in yet
    expect(page).to_have_url(base_url + "/register/sent")
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    axe_check(page)
    [mail] = outbox_messages(live_server, to=email)
    page.goto(base_url + link_path(plain_text(mail), r"/register/confirm/\S+"))
    expect(page).to_have_url(base_url + "/register/confirm")  # the token left the address bar
    expect(page.get_by_role("heading", level=1)).to_have_text("Open your account")
    page.get_by_label("Password").fill("a-long-enough-password")
    page.get_by_role("button", name="Open my account").click()

    expect(page).to_have_url(base_url + "/me")
    expect(page.get_by_text("Welcome! Your account is ready.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, 王小明")


def test_an_idle_page_warns_two_minutes_before_and_stay_signed_in_keeps_the_login(new_context, base_url, live_server):
    """The page's own clock is moved (Playwright's clock): the notice comes N - 2 minutes after loading,
    is announced (role="alert"), and its button refreshes the session on the server."""
    from tests.browser.helpers import login_as
    from tests.browser.live_data import live_app

    page = new_context().new_page()
    page.clock.install()
    login_as(page, base_url, "scheduler@demo.test")
    expect(page).to_have_url(base_url + "/desk")
    minutes = int(page.locator("#idle-warning").get_attribute("data-idle-seconds")) // 60
    notice = page.get_by_role("alert").filter(has_text="You will be signed out in 2 minutes without activity.")
    page.clock.run_for((minutes - 3) * 60 * 1000)
    expect(notice).to_have_count(0)
    page.clock.run_for(61 * 1000)
    expect(notice).to_be_visible()
    axe_check(page)

    with live_app(live_server):
        from checkup.models import LoginSession, User

        def last_seen():
            return (
                LoginSession.select(LoginSession.last_seen_at)
                .join(User)
                .where(User.email == "scheduler@demo.test")
                .order_by(LoginSession.last_seen_at.desc())
                .scalar()
            )

        before = last_seen()
    with page.expect_response("**/session/keepalive") as answer:
        notice.get_by_role("button", name="Stay signed in").click()
    assert answer.value.status == 204
    expect(notice).to_have_count(0)
    with live_app(live_server):
        assert last_seen() > before
    expect(page).to_have_url(base_url + "/desk")
