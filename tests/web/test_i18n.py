"""The Simplified Chinese catalog: complete for the code as it is now, placeholders intact, compiled, served."""

import gettext
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "checkup" / "translations"
ZH_PO = TRANSLATIONS / "zh" / "LC_MESSAGES" / "messages.po"
ZH_MO = TRANSLATIONS / "zh" / "LC_MESSAGES" / "messages.mo"

# A python-format placeholder: %(name)s, %(n)d, %s, %5.2f … ("%%" is a literal percent sign, not a placeholder).
PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[-#0 +]*(?:\d+|\*)?(?:\.(?:\d+|\*))?[hlL]?([diouxXeEfFgGcrsa%])")


def placeholders(text):
    return {(name, kind) for name, kind in PLACEHOLDER.findall(text) if kind != "%"}


def _pybabel():
    """The pybabel next to this interpreter (the venv's), else Babel's command line run through it."""
    sibling = Path(sys.executable).with_name("pybabel")
    if sibling.exists():
        return [str(sibling)]
    return [sys.executable, "-c", "import sys; from babel.messages.frontend import main; sys.exit(main())"]


def _read_po(path):
    with open(path, "rb") as fh:
        return read_po(fh, abort_invalid=True)  # a malformed line fails here rather than being skipped


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """The messages in the code right now, extracted exactly as the project does it."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    result = subprocess.run(
        _pybabel()
        + ["extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "--no-location", "-o", str(pot), "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"pybabel extract failed:\n{result.stdout}\n{result.stderr}"
    catalog = _read_po(pot)
    assert len(catalog) > 100, "extraction found suspiciously few messages"
    return catalog


@pytest.fixture(scope="module")
def zh_catalog():
    return _read_po(ZH_PO)


def _strings(message):
    return list(message.string) if isinstance(message.string, (list, tuple)) else [message.string]


def _id_text(message_id):
    return message_id[0] if isinstance(message_id, (list, tuple)) else message_id


def test_every_extracted_message_has_a_chinese_translation(extracted, zh_catalog):
    missing = []
    for message in extracted:
        if not message.id:
            continue
        entry = zh_catalog.get(message.id)
        if entry is None:
            missing.append(f"{_id_text(message.id)!r} (not in the .po: run pybabel update)")
        elif entry.fuzzy:
            missing.append(f"{_id_text(message.id)!r} (fuzzy)")
        elif not all(s.strip() for s in _strings(entry)):
            missing.append(f"{_id_text(message.id)!r} (empty msgstr)")
        elif isinstance(message.id, (list, tuple)) != isinstance(entry.id, (list, tuple)):
            missing.append(f"{_id_text(message.id)!r} (singular/plural form differs from the code)")
    assert not missing, f"{len(missing)} messages lack a Chinese translation:\n" + "\n".join(missing)


def test_every_translated_message_is_still_found_in_the_code(extracted, zh_catalog):
    """A text the code still shows but pybabel no longer finds (a ``gettext`` call inside an f-string: pybabel
    reads no f-string) would be dropped by the next ``make translations`` and shown in English."""
    found = {message.id for message in extracted if message.id}
    lost = [_id_text(message.id) for message in zh_catalog if message.id and message.id not in found]
    assert not lost, f"{len(lost)} translated messages are no longer extracted from the code: {lost[:20]!r}"


def test_catalog_header_is_not_fuzzy(zh_catalog):
    assert not zh_catalog.fuzzy, "the zh catalog header is marked fuzzy; msgfmt/pybabel would skip it"


def test_placeholders_match(zh_catalog):
    wrong = []
    for message in zh_catalog:
        if not message.id:
            continue
        ids = list(message.id) if isinstance(message.id, (list, tuple)) else [message.id]
        expected = placeholders(ids[0])
        for other in ids[1:]:
            expected |= placeholders(other)
        for translated in _strings(message):
            if translated and placeholders(translated) != expected:
                wrong.append(
                    f"{ids[0]!r}\n    -> {translated!r}: {sorted(placeholders(translated))} "
                    f"instead of {sorted(expected)}"
                )
            # "%%" in a template string renders as "%"; a lone "%" in the translation would break formatting.
            if translated and ("%%" in ids[0]) != ("%%" in translated):
                wrong.append(f"{ids[0]!r}\n    -> {translated!r}: '%%' differs")
    assert not wrong, "placeholders differ between msgid and msgstr:\n" + "\n".join(wrong)


def test_compiled_catalog_matches_the_po(tmp_path, zh_catalog):
    assert ZH_MO.exists(), "messages.mo is missing: run pybabel compile -d checkup/translations"
    fresh = tmp_path / "messages.mo"
    with open(fresh, "wb") as fh:
        write_mo(fh, zh_catalog)
    with open(fresh, "rb") as fh:
        expected = gettext.GNUTranslations(fh)._catalog
    with open(ZH_MO, "rb") as fh:
        actual = gettext.GNUTranslations(fh)._catalog
    stale = sorted(str(k) for k in set(expected) | set(actual) if expected.get(k) != actual.get(k))
    assert not stale, (
        f"messages.mo is out of date with messages.po ({len(stale)} differences, e.g. "
        f"{stale[:5]}): run pybabel compile -d checkup/translations"
    )


def test_choosing_chinese_translates_the_pages(client, make_user, login):
    english = client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'lang="en"' in english and "<h1>Sign in</h1>" in english

    response = client.post("/language", data={"locale": "zh", "next": "/login"})
    assert response.status_code == 303
    page = client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'lang="zh-Hans"' in page
    assert "<h1>登录</h1>" in page
    assert "Sign in" not in page and "Forgot your password?" not in page

    user = make_user("client")
    login(user)  # the language chosen before signing in survives the session rotation
    home = client.get("/me", headers={"Accept-Language": "en"})
    assert home.status_code == 200
    html = home.get_data(as_text=True)
    assert 'lang="zh-Hans"' in html
    for chinese in ("我的体检", "我的预约", "体检套餐", "退出登录", "预约体检"):
        assert chinese in html, f"{chinese!r} missing from the signed-in navigation/page"
    for english_text in ("My checkups", "My appointments", "Sign out"):
        assert english_text not in html


def test_account_language_applies_without_choosing(app, make_user, login):
    from checkup.services.accounts import accounts

    user = make_user("client")
    accounts.set_locale(user, "zh")
    http = app.test_client()
    login(user, http=http)
    html = http.get("/me", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(as_text=True)
    assert 'lang="zh-Hans"' in html and "我的预约" in html and "My appointments" not in html


def test_browser_language_picks_chinese(client):
    html = client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}).get_data(as_text=True)
    assert 'lang="zh-Hans"' in html and "<h1>登录</h1>" in html


def test_lazy_and_plural_strings_translate(app):
    from flask_babel import force_locale, ngettext

    from checkup.core.labels import ROLE_LABELS
    from checkup.web.page_shell import NAVIGATION

    with app.test_request_context("/"), force_locale("zh"):
        assert str(NAVIGATION[0][2]) == "我的体检"
        assert str(ROLE_LABELS["counselor"]) == "健康管理师"
        assert ngettext("%(num)d client found.", "%(num)d clients found.", 3) == "共找到 3 位客户。"
        assert ngettext("%(num)d client found.", "%(num)d clients found.", 1) == "共找到 1 位客户。"
