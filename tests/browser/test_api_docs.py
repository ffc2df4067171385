"""The API docs page in a real browser: Swagger UI from our own files, under the CSP."""

from playwright.sync_api import Page, Request, expect

from tests.support.browser import LiveServer, Steps


def test_api_docs_render_from_vendored_files_only(
    page: Page, docs_server: LiveServer, steps: Steps
) -> None:
    elsewhere: list[str] = []

    def note(request: Request) -> None:
        if not request.url.startswith((docs_server.url, "data:")):
            elsewhere.append(request.url)

    page.on("request", note)
    page.goto(docs_server.url + "/api/docs")
    # Swagger UI has read /api/openapi.json and drawn the operations.
    expect(
        page.locator(".opblock-summary-path", has_text="/api/v1/complaints").first
    ).to_be_visible()
    expect(page.locator(".info .title")).to_contain_text("aduan")
    steps.shot("api docs")
    assert elsewhere == []  # nothing from a CDN, no favicon from another site
