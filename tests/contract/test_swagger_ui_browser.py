"""Swagger UI in a real browser (Debian's headless Chromium, driven by Playwright).

A person opens /api/v1/ui/, clicks Authorize, signs in (with the authorization code flow and
PKCE on the server's own sign-in and consent pages, or with the password flow as root / q),
runs "Try it out" on GET /api/v1/users/me and sees 200 with root.
"""

from __future__ import annotations

import pytest

from tests.servers import apiserver, free_port, running_server, server_env

CHROMIUM = "/usr/bin/chromium"
# Without these, Chromium tries the network at start (this machine has none) and waits on it.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [pytest.mark.browser, pytest.mark.needs("chromium")]


@pytest.fixture
def server(tmp_path):
    # The issuer is the address the browser uses: Swagger UI's redirect URI, which `seed`
    # registers for the documentation client, is built from it and must match exactly.
    port = free_port()
    env = server_env(f"sqlite:///{tmp_path / 'browser.db'}", ISSUER=f"http://127.0.0.1:{port}")
    apiserver("seed", cwd=tmp_path, env=env)
    with running_server(tmp_path, env, port=port) as base:
        yield base


def try_users_me(page, expect, screenshot):
    operation = page.locator("#operations-users-get_current_user")
    operation.locator(".opblock-summary").click()
    operation.locator(".try-out__btn").click()
    operation.locator(".btn.execute").click()

    status = operation.locator(".live-responses-table .response .response-col_status")
    expect(status).to_contain_text("200", timeout=15_000)
    body = operation.locator(".live-responses-table .response-col_description .highlight-code")
    expect(body).to_contain_text('"username": "root"')
    page.screenshot(path=str(screenshot), full_page=True)


def test_sign_in_with_the_authorization_code_flow_then_try_users_me(server, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 2000})
            page.goto(f"{server}/api/v1/ui/")
            page.locator(".auth-wrapper .btn.authorize").click()

            dialog = page.locator(".dialog-ux .modal-ux")
            code_flow = dialog.locator(".auth-container").filter(has_text="authorizationCode")
            expect(code_flow.locator("#client_id")).to_have_value("documentation")
            code_flow.get_by_text("select all").click()
            with page.expect_popup() as opened:
                code_flow.locator(".btn.modal-btn.auth.authorize").click()
            pages = opened.value
            pages.wait_for_load_state()
            # The server's sign-in page, then its consent page.
            pages.locator("#username").fill("root")
            pages.locator("#password").fill("q")
            pages.get_by_role("button", name="Sign in").click()
            expect(pages.get_by_text("documentation", exact=False).first).to_be_visible()
            pages.get_by_role("button", name="Allow").click()
            # oauth2-redirect.html hands the code to Swagger UI, which exchanges it and closes
            # the window; signed in, the dialog offers to log out.
            expect(dialog.get_by_role("button", name="Logout").first).to_be_visible(timeout=15_000)
            dialog.locator(".btn-done").first.click()
            try_users_me(page, expect, tmp_path / "swagger-ui-code-flow.png")
        finally:
            browser.close()
    assert (tmp_path / "swagger-ui-code-flow.png").stat().st_size > 10_000


def test_sign_in_with_the_password_flow_then_try_users_me(server, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 2000})
            page.goto(f"{server}/api/v1/ui/")
            page.locator(".auth-wrapper .btn.authorize").click()

            dialog = page.locator(".dialog-ux .modal-ux")
            # The scheme has three flows; the password flow is the one asking for a username.
            password_flow = dialog.locator(".auth-container").filter(
                has=page.locator("#oauth_username")
            )
            expect(password_flow.locator("#client_id")).to_have_value("documentation")
            password_flow.locator("#oauth_username").fill("root")
            password_flow.locator("#oauth_password").fill("q")
            password_flow.locator(".btn.modal-btn.auth.authorize").click()
            # Signed in: the token request succeeded and the dialog offers to log out.
            expect(dialog.get_by_role("button", name="Logout").first).to_be_visible()
            dialog.locator(".btn-done").first.click()
            try_users_me(page, expect, tmp_path / "swagger-ui-users-me.png")
        finally:
            browser.close()
    assert (tmp_path / "swagger-ui-users-me.png").stat().st_size > 10_000
