"""The authorization code flow: authorization codes (digests, single use, bound to client,
redirect URI, user, scopes and PKCE challenge, with the token family a replay revokes), the
consents users give, and the browser sessions of the sign-in pages.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 01:40:59.214015
"""

import sqlalchemy as sa
from alembic import op

import models.base

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('browser_sessions',
    sa.Column('id_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created', models.base.UTCDateTime(), nullable=False),
    sa.Column('expires_at', models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_browser_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id_hash', name=op.f('pk_browser_sessions'))
    )
    with op.batch_alter_table('browser_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_browser_sessions_user_id'), ['user_id'], unique=False)

    op.create_table('oauth2_authorization_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('redirect_uri', sa.String(length=2000), nullable=False),
    sa.Column('redirect_uri_given', sa.Boolean(), nullable=False),
    sa.Column('scope', sa.String(length=4000), nullable=False),
    sa.Column('code_challenge', sa.String(length=128), nullable=False),
    sa.Column('code_challenge_method', sa.String(length=10), nullable=False),
    sa.Column('created', models.base.UTCDateTime(), nullable=False),
    sa.Column('expires_at', models.base.UTCDateTime(), nullable=False),
    sa.Column('used_at', models.base.UTCDateTime(), nullable=True),
    sa.Column('family_id', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['oauth2_clients.client_id'], name=op.f('fk_oauth2_authorization_codes_client_id_oauth2_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_oauth2_authorization_codes_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oauth2_authorization_codes')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_oauth2_authorization_codes_code_hash'))
    )
    with op.batch_alter_table('oauth2_authorization_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oauth2_authorization_codes_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_oauth2_authorization_codes_user_id'), ['user_id'], unique=False)

    op.create_table('oauth2_consents',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('scope', sa.String(length=4000), nullable=False),
    sa.Column('created', models.base.UTCDateTime(), nullable=False),
    sa.Column('updated', models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['oauth2_clients.client_id'], name=op.f('fk_oauth2_consents_client_id_oauth2_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_oauth2_consents_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'client_id', name=op.f('pk_oauth2_consents'))
    )
    with op.batch_alter_table('oauth2_consents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oauth2_consents_client_id'), ['client_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('oauth2_consents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oauth2_consents_client_id'))

    op.drop_table('oauth2_consents')
    with op.batch_alter_table('oauth2_authorization_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oauth2_authorization_codes_user_id'))
        batch_op.drop_index(batch_op.f('ix_oauth2_authorization_codes_client_id'))

    op.drop_table('oauth2_authorization_codes')
    with op.batch_alter_table('browser_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_browser_sessions_user_id'))

    op.drop_table('browser_sessions')
