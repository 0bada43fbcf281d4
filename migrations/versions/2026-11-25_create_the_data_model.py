"""Create the data model of the whole product: users, teams, members, OAuth 2 clients and tokens.

Revision ID: 0001
Revises:
Create Date: 2026-11-25 04:04:18.709064
"""

import sqlalchemy as sa
from alembic import op

import models.base

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('teams',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=50), nullable=False),
    sa.Column('created', models.base.UTCDateTime(), nullable=False),
    sa.Column('updated', models.base.UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint('length(title) BETWEEN 3 AND 50', name=op.f('ck_teams_title_length')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_teams'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('email', sa.String(length=120), nullable=False),
    sa.Column('password_hash', sa.String(length=128), nullable=False),
    sa.Column('first_name', sa.String(length=30), server_default='', nullable=False),
    sa.Column('middle_name', sa.String(length=30), server_default='', nullable=False),
    sa.Column('last_name', sa.String(length=30), server_default='', nullable=False),
    sa.Column('is_active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('is_regular_user', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('is_admin', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('is_internal', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('created', models.base.UTCDateTime(), nullable=False),
    sa.Column('updated', models.base.UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint('length(email) BETWEEN 3 AND 120', name=op.f('ck_users_email_length')),
    sa.CheckConstraint('length(first_name) <= 30 AND length(middle_name) <= 30 AND length(last_name) <= 30', name=op.f('ck_users_name_lengths')),
    sa.CheckConstraint('length(username) BETWEEN 3 AND 80', name=op.f('ck_users_username_length')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_table('oauth2_clients',
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('client_secret_hash', sa.String(length=64), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('client_type', sa.Enum('public', 'confidential', name='client_type', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('redirect_uris', models.base.StringList(length=2000), nullable=False),
    sa.Column('default_scopes', models.base.StringList(length=500), nullable=False),
    sa.Column('grant_types', models.base.StringList(length=200), nullable=False),
    sa.Column('created', models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_oauth2_clients_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('client_id', name=op.f('pk_oauth2_clients'))
    )
    with op.batch_alter_table('oauth2_clients', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oauth2_clients_user_id'), ['user_id'], unique=False)

    op.create_table('team_members',
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('is_leader', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_team_members_team_id_teams'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_team_members_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('team_id', 'user_id', name=op.f('pk_team_members'))
    )
    with op.batch_alter_table('team_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_team_members_user_id'), ['user_id'], unique=False)

    op.create_table('oauth2_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('access_token_hash', sa.String(length=64), nullable=False),
    sa.Column('refresh_token_hash', sa.String(length=64), nullable=True),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=500), nullable=False),
    sa.Column('issued_at', models.base.UTCDateTime(), nullable=False),
    sa.Column('access_expires_at', models.base.UTCDateTime(), nullable=False),
    sa.Column('refresh_expires_at', models.base.UTCDateTime(), nullable=True),
    sa.Column('revoked', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('family_id', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['oauth2_clients.client_id'], name=op.f('fk_oauth2_tokens_client_id_oauth2_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_oauth2_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oauth2_tokens')),
    sa.UniqueConstraint('access_token_hash', name=op.f('uq_oauth2_tokens_access_token_hash')),
    sa.UniqueConstraint('refresh_token_hash', name=op.f('uq_oauth2_tokens_refresh_token_hash'))
    )
    with op.batch_alter_table('oauth2_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oauth2_tokens_client_id'), ['client_id'], unique=False)
        batch_op.create_index('ix_oauth2_tokens_family_id', ['family_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_oauth2_tokens_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('oauth2_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oauth2_tokens_user_id'))
        batch_op.drop_index('ix_oauth2_tokens_family_id')
        batch_op.drop_index(batch_op.f('ix_oauth2_tokens_client_id'))

    op.drop_table('oauth2_tokens')
    with op.batch_alter_table('team_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_team_members_user_id'))

    op.drop_table('team_members')
    with op.batch_alter_table('oauth2_clients', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oauth2_clients_user_id'))

    op.drop_table('oauth2_clients')
    op.drop_table('users')
    op.drop_table('teams')
