"""The names a resource gets from its plural, and the names that are refused."""

from __future__ import annotations

import pytest

from scaffold.names import MAX_LENGTH, Names, Refusal, singular_of


@pytest.mark.parametrize(
    ("plural", "singular"),
    [
        ("articles", "article"),
        ("project_notes", "project_note"),
        ("categories", "category"),
        ("boxes", "box"),
        ("addresses", "address"),
        ("branches", "branch"),
        ("wishes", "wish"),
        ("news_items", "news_item"),
    ],
)
def test_a_simple_english_singular(plural, singular):
    assert singular_of(plural) == singular


@pytest.mark.parametrize("plural", ["sheep", "glass", "s"])
def test_a_singular_it_cannot_tell_must_be_named(plural):
    with pytest.raises(Refusal, match="--singular"):
        singular_of(plural)


def test_the_names_of_a_two_word_resource():
    n = Names.of("project_notes")

    assert (n.Class, n.id, n.rule) == ("ProjectNote", "project_note_id", "project-note-owner")
    assert (n.words, n.Words, n.word, n.a_word) == (
        "project notes",
        "Project notes",
        "project note",
        "a project note",
    )
    assert n.scopes == ("project_notes:read", "project_notes:write")
    assert n.operations == (
        "list_project_notes",
        "create_project_note",
        "get_project_note",
        "patch_project_note",
        "delete_project_note",
    )
    assert Names.of("articles").A_word == "An article"


def test_an_irregular_singular_is_given():
    assert Names.of("people", "person").Class == "Person"


@pytest.mark.parametrize(
    ("plural", "singular", "reason"),
    [
        ("Articles", None, "must be snake_case"),
        ("123", None, "must be snake_case"),
        ("project-notes", None, "must be snake_case"),
        ("notes__old", None, "must be snake_case"),
        ("class", None, "is a Python keyword"),
        ("classes", "class", "is a Python keyword"),
        ("x" * (MAX_LENGTH + 1), "x", "longer than"),
        ("articles", "Article", "must be snake_case"),
        ("data", "data", "must differ"),
    ],
)
def test_invalid_names(plural, singular, reason):
    with pytest.raises(Refusal, match=reason):
        Names.of(plural, singular)
