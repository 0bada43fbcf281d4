"""The rules of team patches: a JSON Patch of a team or of a membership, under the contract's
TeamPatch and TeamMemberPatch; If-Match; the optimistic retry. Who may do what is the contract's
``x-permission`` (auth.permissions); a team always keeping a leader is checked under the team's
lock (storage.teams)."""

from __future__ import annotations

from domain import patching
from storage import teams


def patch_team(
    team_id: int, operations: list[dict], expected_versions: set[int] | None = None
) -> tuple[dict, int]:
    """Apply an RFC 6902 patch to a team; return the team and its new version."""
    return patching.patch_versioned(
        teams.get_team,
        teams.update_team,
        team_id,
        operations,
        operation_schema="TeamPatchOperation",
        expected_versions=expected_versions,
        what=f"team {team_id}",
        overwrite=teams.overwrite_team,
    )


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
