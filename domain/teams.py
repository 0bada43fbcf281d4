"""The rules of team patches: a JSON Patch of a team or of a membership, under the contract's
TeamPatch and TeamMemberPatch; If-Match; the optimistic retry. Who may do what is the contract's
``x-permission`` (auth.permissions); a team always keeping a leader is checked under the team's
lock (storage.teams)."""

from __future__ import annotations

from domain import patching, retry
from storage import teams
from storage.errors import PreconditionFailed


def patch_team(
    team_id: int, operations: list[dict], expected_versions: set[int] | None = None
) -> tuple[dict, int]:
    """Apply an RFC 6902 patch to a team; return the team and its new version."""

    def attempt():
        document, version = teams.get_team(team_id)
        changes = patching.apply(document, operations, operation_schema="TeamPatchOperation")
        if expected_versions is not None and version not in expected_versions:
            raise PreconditionFailed(f"team {team_id} has changed (it is at version {version})")
        if not changes:
            return document, version
        return teams.update_team(team_id, version, changes, expected=expected_versions is not None)

    return retry.until_written(attempt, what=f"team {team_id}")


def patch_member(
    team_id: int,
    user_id: int,
    operations: list[dict],
    expected_versions: set[int] | None = None,
) -> tuple[dict, int]:
    """Apply an RFC 6902 patch to a membership; return the member and its ETag version."""
    return teams.change_member(
        team_id,
        user_id,
        lambda document: patching.apply(
            document, operations, operation_schema="TeamMemberPatchOperation"
        ),
        expected_versions,
    )
