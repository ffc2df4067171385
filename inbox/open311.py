"""Open311 GeoReport v2 read endpoints (``/open311/v2``): services and requests as JSON."""

from fastapi import APIRouter
from pydantic import BaseModel

from models.vocab import CATEGORIES, NOT_COMPLAINT

router = APIRouter(prefix="/open311/v2", tags=["open311"])


class Service(BaseModel):
    """A GeoReport v2 service: one complaint category."""

    service_code: str
    service_name: str
    description: str = ""
    metadata: bool = False
    type: str = "realtime"
    keywords: str = ""
    group: str = ""


@router.get("/services.json", response_model=list[Service])
def services() -> list[Service]:
    """The complaint categories as GeoReport services."""
    return [Service(service_code=c, service_name=c) for c in CATEGORIES if c != NOT_COMPLAINT]
