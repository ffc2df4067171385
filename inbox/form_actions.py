"""What the pages' POST forms share: the acting user's check and a refused decision."""

from collections.abc import Awaitable, Callable

from inbox.access import Forbidden, Permission, access
from inbox.auth import CsrfUser
from models.tables import User


class Refused(Exception):
    """A decision that cannot be made: its message (Indonesian) and HTTP status."""

    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.message, self.status_code = message, status_code


def acting_user(permission: Permission) -> Callable[[User], Awaitable[User]]:
    """A form dependency: the CSRF-checked user, if their role grants *permission*."""

    async def dependency(user: CsrfUser) -> User:
        if not access.can(user, permission):
            raise Forbidden()
        return user

    return dependency
