"""Chinese by default, English on request, and a complete zh-hans catalogue."""

import shutil
from pathlib import Path

import polib
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"


def test_pages_are_chinese_by_default_even_for_an_english_browser(client, db):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")

    page = response.content.decode()
    assert response["Content-Language"] == "zh-hans"
    assert '<html lang="zh-hans">' in page
    assert "登录 CSManage" in page


def test_language_switcher_turns_pages_english_and_back(client, org, login):
    client = login(org.supervisor)

    switched = client.post(reverse("set_language"), {"language": "en", "next": "/staff/"})
    english = client.get(reverse("staff:list")).content.decode()
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/staff/"})
    chinese = client.get(reverse("staff:list")).content.decode()

    assert switched.status_code == 302
    assert "Employee number" in english
    assert "Specialist" in english
    assert "工号" in chinese
    assert "客服专员" in chinese


def test_admin_follows_the_chosen_language(client, org, login):
    client = login(org.hr)
    chinese = client.get(reverse("admin:staff_staff_changelist")).content.decode()
    client.post(reverse("set_language"), {"language": "en"})
    english = client.get(reverse("admin:staff_staff_changelist")).content.decode()

    assert "导入" in chinese
    assert "员工" in chinese
    assert "Import" in english
    assert "staff" in english


def test_api_paths_honour_accept_language(client, db):
    response = client.get("/api/unknown/", HTTP_ACCEPT_LANGUAGE="en")

    assert response["Content-Language"] == "en"


def test_zh_hans_catalogue_is_complete(tmp_path, settings, monkeypatch):
    """Every string in the code and templates, extracted afresh, has a translation."""
    shutil.copytree(CATALOGUE.parent.parent, tmp_path / "locale")
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    monkeypatch.chdir(settings.BASE_DIR)

    call_command(
        "makemessages",
        locale=["zh_Hans"],
        ignore_patterns=[".venv/*", "var/*", "tests/*"],
        no_location=True,
        no_obsolete=True,
        verbosity=0,
    )

    catalogue = polib.pofile(str(tmp_path / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))

    assert [entry.msgid for entry in catalogue.untranslated_entries()] == []
    assert [entry.msgid for entry in catalogue.fuzzy_entries()] == []
    assert len(catalogue) > 100


def test_compiled_catalogue_matches_the_source():
    """The committed django.mo is compiled from the current django.po (make messages)."""

    def table(catalogue):
        return {e.msgid: e.msgstr or e.msgstr_plural.get(0, "") for e in catalogue if e.msgid}

    source = table(polib.pofile(str(CATALOGUE / "django.po")))
    compiled = table(polib.mofile(str(CATALOGUE / "django.mo")))

    assert compiled == source
