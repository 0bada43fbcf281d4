"""Users: sign-up, the caller's own account, other accounts."""

from handlers.security import current_caller
from storage import users


def create_user(body):
    user = users.create_user(**body)
    return user, 201, {"Location": f"/api/v1/users/{user['id']}"}


def get_current_user():
    # The token check already loaded the caller: no second query.
    return current_caller().user, 200
