"""The tables. Importing this package registers every model on ``Base.metadata`` (for Alembic)."""

from models.authorization import OAuth2AuthorizationCode, OAuth2Consent
from models.base import Base
from models.browser_session import BrowserSession
from models.oauth2 import OAuth2Client, OAuth2Token
from models.team import Team, TeamMember
from models.user import User

__all__ = [
    "Base",
    "BrowserSession",
    "OAuth2AuthorizationCode",
    "OAuth2Client",
    "OAuth2Consent",
    "OAuth2Token",
    "Team",
    "TeamMember",
    "User",
]
