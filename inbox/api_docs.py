"""The API's documentation page: Swagger UI from vendored files, off unless configured.

``web.api_docs: true`` turns on ``/api/docs`` and the OpenAPI document it reads,
``/api/openapi.json``. Both are open to anyone when on (the document describes the
API and holds no data; every call it documents still needs a token). Swagger UI is
served from ``/static/vendor/swagger-ui/`` (npm ``swagger-ui-dist``, Apache-2.0, see
SOURCE.txt there) and started by ``/static/api-docs.js``: nothing is loaded from
another site and the page runs under the site's CSP without inline script.
"""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from inbox.web import TEMPLATES

OPENAPI_URL = "/api/openapi.json"

router = APIRouter(include_in_schema=False)


@router.get("/api/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> HTMLResponse:
    """Swagger UI over ``/api/openapi.json``."""
    return TEMPLATES.TemplateResponse(request, "api_docs.html", {})
