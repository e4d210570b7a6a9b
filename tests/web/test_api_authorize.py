"""Swagger UI offers both ways of signing in that the OpenAPI document declares (issue 14 item 3): Authorize
opens a dialog with the bearer token and the session cookie, and a token typed there signs the next request."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.web.conftest import PASSWORD


def test_swagger_authorize_offers_token_and_cookie(server, page):
    page.goto(server + "/docs")
    page.locator(".opblock").first.wait_for(timeout=20000)
    page.locator("button.authorize").first.click()
    dialog = page.locator(".dialog-ux .modal-ux")
    dialog.wait_for()
    assert dialog.get_by_text("bearerToken").count() and dialog.get_by_text("sessionCookie").count()
    assert dialog.get_by_text("huiqi_session").count()  # the cookie's name, as sign-in sets it
    # a token from the API, typed into Authorize, is sent with "Try it out"
    login = page.request.post(server + "/api/v1/auth/login", data={"username": "admin", "password": PASSWORD})
    token = page.request.post(server + "/api/v1/auth/tokens", data={"name": "swagger"},
                              headers={"X-CSRF-Token": login.json()["csrf_token"]}).json()["token"]
    page.context.clear_cookies()
    bearer = dialog.locator(".auth-container").filter(has_text="bearerToken")
    bearer.locator("#auth-bearer-value").fill(token)
    bearer.locator("button.authorize").click()
    page.locator(".dialog-ux .close-modal").first.click()
    op = page.locator("#operations-workflow-me_api_v1_me_get")
    op.locator(".opblock-summary").click()
    op.get_by_role("button", name="Try it out").click()
    op.get_by_role("button", name="Execute").click()
    # signed in by the token alone (the cookies were cleared): the answer names the administrator
    expect(op.locator(".live-responses-table pre").first).to_contain_text('"username": "admin"', timeout=30000)
