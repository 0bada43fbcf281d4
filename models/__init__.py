"""The tables. Importing this package registers every model on ``Base.metadata`` (for Alembic)."""

from models.base import Base
from models.oauth2 import OAuth2Client, OAuth2Token
from models.team import Team, TeamMember
from models.user import User

__all__ = ["Base", "OAuth2Client", "OAuth2Token", "Team", "TeamMember", "User"]
