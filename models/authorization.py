"""What the authorization code flow keeps: the codes it hands out and the consents users give.
Codes, like tokens, are stored only as digests."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow
from models.oauth2 import CLIENT_ID_MAX, DIGEST_LENGTH, SCOPES_MAX

REDIRECT_URI_MAX = 2000
CODE_CHALLENGE_MAX = 128  # RFC 7636 §4.2


class OAuth2AuthorizationCode(Base):
    __tablename__ = "oauth2_authorization_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(DIGEST_LENGTH), unique=True)
    client_id: Mapped[str] = mapped_column(
        ForeignKey("oauth2_clients.client_id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    redirect_uri: Mapped[str] = mapped_column(String(REDIRECT_URI_MAX))
    # RFC 6749 §4.1.3: the token request must repeat redirect_uri if the authorize request had it.
    redirect_uri_given: Mapped[bool]
    scope: Mapped[str] = mapped_column(String(SCOPES_MAX))
    code_challenge: Mapped[str] = mapped_column(String(CODE_CHALLENGE_MAX))
    code_challenge_method: Mapped[str] = mapped_column(String(10))
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # Set by the one redemption that wins; a code that comes back after it is a replay.
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The rotation family of the tokens issued from this code: a replay revokes it.
    family_id: Mapped[str] = mapped_column(String(32))


class OAuth2Consent(Base):
    """A user allowed a client these scopes: remembered for confidential clients."""

    __tablename__ = "oauth2_consents"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    client_id: Mapped[str] = mapped_column(
        String(CLIENT_ID_MAX),
        ForeignKey("oauth2_clients.client_id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    )
    scope: Mapped[str] = mapped_column(String(SCOPES_MAX))
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
