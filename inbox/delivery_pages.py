"""The delivery panel's action: put a dead-lettered notification back in the queue."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from inbox.access import Forbidden, Permission, access
from inbox.auth import CsrfUser
from inbox.dashboard_pages import render_dashboard
from inbox.web import DbSession, EngineDep, RowId
from models.tables import User
from notify.delivery import retry_dead

router = APIRouter(include_in_schema=False)


def retry_user(user: CsrfUser) -> User:
    """The signed-in user of the retry form, if they may retry deliveries."""
    if not access.can(user, Permission.RETRY_DELIVERY):
        raise Forbidden("Anda tidak berhak mengirim ulang notifikasi.")
    return user


@router.post("/deliveries/{outbox_id}/retry", response_class=HTMLResponse, response_model=None)
def retry(
    request: Request,
    user: Annotated[User, Depends(retry_user)],
    outbox_id: RowId,
    engine: EngineDep,
    db: DbSession,
) -> HTMLResponse | RedirectResponse:
    """Reset a dead notification to pending, due now; back to the dashboard's panel."""
    if not retry_dead(engine=engine, outbox_id=outbox_id):
        return render_dashboard(
            request,
            db,
            user,
            error=f"Notifikasi #{outbox_id} tidak ada atau tidak sedang gagal; tidak ada yang "
            "diubah.",
            status_code=404,
        )
    return RedirectResponse(f"/?done=retried&outbox={outbox_id}#pengiriman", status_code=303)
