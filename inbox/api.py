"""The REST API (``/api/v1``): token auth, the same access rules as the pages."""

from fastapi import APIRouter
from pydantic import BaseModel

from inbox.auth import ApiUser
from models.vocab import CATEGORIES

router = APIRouter(prefix="/api/v1", tags=["api"])


class CategoryOut(BaseModel):
    """A complaint category."""

    code: str


@router.get("/categories", response_model=list[CategoryOut])
def categories(user: ApiUser) -> list[CategoryOut]:
    """The categories a complaint can have."""
    return [CategoryOut(code=c) for c in CATEGORIES]
