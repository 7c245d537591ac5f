"""Error pages are the site's own, in Chinese, for everyone (not Django's English stubs)."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import RequestFactory
from django.urls import reverse
from django.views import defaults


def test_a_missing_page_is_chinese(client, db):
    response = client.get("/no-such-page/")

    page = response.content.decode()
    assert response.status_code == 404
    assert '<html lang="zh-hans">' in page
    assert "页面没有找到" in page


def test_a_refused_page_is_chinese_and_says_why(org, login):
    response = login(org.hr).get(reverse("tickets:queue", args=["mine"]))

    page = response.content.decode()
    assert response.status_code == 403
    assert '<html lang="zh-hans">' in page
    assert "禁止访问" in page
    assert "您的角色无法使用工单功能。" in page


@pytest.mark.parametrize(
    ("handler", "status", "title"),
    [
        (lambda request: defaults.bad_request(request, PermissionDenied()), 400, "CSManage"),
        (lambda request: defaults.permission_denied(request, PermissionDenied()), 403, "禁止访问"),
        (lambda request: defaults.page_not_found(request, Http404()), 404, "页面没有找到"),
        (defaults.server_error, 500, "服务器错误"),
    ],
)
def test_every_error_page_renders_in_chinese(db, handler, status, title):
    request = RequestFactory().get("/somewhere/")
    request.user = AnonymousUser()

    response = handler(request)

    page = response.content.decode()
    assert response.status_code == status
    assert '<html lang="zh-hans">' in page
    assert title in page
