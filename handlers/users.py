"""Users: sign-up, the caller's own account, other accounts."""

from storage import users


def create_user(body):
    user = users.create_user(**body)
    return user, 201, {"Location": f"/api/v1/users/{user['id']}"}
