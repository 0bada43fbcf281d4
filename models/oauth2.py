"""OAuth 2 clients and the tokens they issue. Secrets and tokens are stored only as digests."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Enum, ForeignKey, Index, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, StringList, UTCDateTime, utcnow
from models.user import User

CLIENT_ID_MAX = 64
DIGEST_LENGTH = 64  # hex SHA-256
CLIENT_TYPES = ("public", "confidential")
# Room for every registered scope, space-separated: about a hundred resources' read and write
# scopes, each resource `apiserver scaffold` adds bringing two.
SCOPES_MAX = 4000


class OAuth2Client(Base):
    __tablename__ = "oauth2_clients"

    client_id: Mapped[str] = mapped_column(String(CLIENT_ID_MAX), primary_key=True)
    # NULL for a client that has no secret at all.
    client_secret_hash: Mapped[str | None] = mapped_column(String(DIGEST_LENGTH))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    client_type: Mapped[str] = mapped_column(
        Enum(*CLIENT_TYPES, name="client_type", native_enum=False, create_constraint=True),
        default="public",
    )
    redirect_uris: Mapped[list[str]] = mapped_column(StringList(2000), default=list)
    default_scopes: Mapped[list[str]] = mapped_column(StringList(SCOPES_MAX))
    grant_types: Mapped[list[str]] = mapped_column(StringList(200))
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    owner: Mapped[User] = relationship()


class OAuth2Token(Base):
    __tablename__ = "oauth2_tokens"
    __table_args__ = (Index("ix_oauth2_tokens_family_id", "family_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    access_token_hash: Mapped[str] = mapped_column(String(DIGEST_LENGTH), unique=True)
    refresh_token_hash: Mapped[str | None] = mapped_column(String(DIGEST_LENGTH), unique=True)
    client_id: Mapped[str] = mapped_column(
        ForeignKey("oauth2_clients.client_id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    scope: Mapped[str] = mapped_column(String(SCOPES_MAX))
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    access_expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    refresh_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Every token issued by refreshing shares the family of the token it replaced, so that
    # reuse of a rotated refresh token can revoke the whole chain at once.
    family_id: Mapped[str] = mapped_column(String(32))

    client: Mapped[OAuth2Client] = relationship()
    user: Mapped[User] = relationship()
