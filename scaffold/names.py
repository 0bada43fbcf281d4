"""The names of a new resource, derived once from its plural: ``articles`` gives the module
``handlers/articles.py``, the model ``Article`` in ``models/article.py``, the table ``articles``,
the path parameter ``article_id``, the scopes ``articles:read`` and ``articles:write``, the
operations ``list_articles`` ... ``delete_article`` and the permission rule ``article-owner``."""

from __future__ import annotations

import dataclasses
import keyword
import re

SNAKE_CASE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
# Long enough for any sensible name, short enough that every generated line and every database
# identifier (ix_<table>_owner_id, ck_<table>_title_length: 63 bytes at most on PostgreSQL) fits.
MAX_LENGTH = 30


class Refusal(Exception):
    """A reason not to scaffold, said in one line; nothing has been written."""


def singular_of(plural: str) -> str:
    """A simple English singular: ``articles`` -> ``article``, ``categories`` -> ``category``,
    ``boxes`` -> ``box``. Irregular plurals need ``--singular``."""
    last = plural.rsplit("_", 1)
    head, word = ("", last[0]) if len(last) == 1 else (last[0] + "_", last[1])
    for ending, replacement in (("ies", "y"), ("sses", "ss"), ("shes", "sh"), ("ches", "ch")):
        if word.endswith(ending) and len(word) > len(ending):
            return head + word[: -len(ending)] + replacement
    if word.endswith("xes") and len(word) > 3:
        return head + word[:-2]
    if word.endswith("s") and not word.endswith("ss") and len(word) > 1:
        return head + word[:-1]
    raise Refusal(f"cannot tell the singular of {plural!r}: name it with --singular")


def _check_identifier(name: str, what: str) -> None:
    if not SNAKE_CASE.match(name):
        raise Refusal(
            f"{what} {name!r} must be snake_case: lower-case letters, digits and single "
            "underscores, starting with a letter"
        )
    if len(name) > MAX_LENGTH:
        raise Refusal(f"{what} {name!r} is longer than {MAX_LENGTH} characters")
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        raise Refusal(f"{what} {name!r} is a Python keyword")


@dataclasses.dataclass(frozen=True)
class Names:
    plural: str  # articles, project_notes: the table, the modules, the URL, the tag, the scopes
    singular: str  # article, project_note: the model's module, the operations on one item

    @classmethod
    def of(cls, plural: str, singular: str | None = None) -> Names:
        _check_identifier(plural, "the resource name")
        singular = singular_of(plural) if singular is None else singular
        _check_identifier(singular, "the singular")
        if singular == plural:
            raise Refusal(f"the singular and the plural are both {plural!r}: they must differ")
        return cls(plural, singular)

    @property
    def Class(self) -> str:  # the template reads n.Class, as the code will
        return "".join(part.capitalize() for part in self.singular.split("_"))

    @property
    def id(self) -> str:
        return f"{self.singular}_id"

    @property
    def words(self) -> str:
        return self.plural.replace("_", " ")

    @property
    def Words(self) -> str:
        return self.words.capitalize()

    @property
    def word(self) -> str:
        return self.singular.replace("_", " ")

    @property
    def a_word(self) -> str:
        return ("an " if self.word[0] in "aeiou" else "a ") + self.word

    @property
    def A_word(self) -> str:
        return self.a_word.capitalize()

    @property
    def rule(self) -> str:
        return f"{self.singular.replace('_', '-')}-owner"

    @property
    def scopes(self) -> tuple[str, str]:
        return f"{self.plural}:read", f"{self.plural}:write"

    @property
    def operations(self) -> tuple[str, ...]:
        item = self.singular
        return (
            f"list_{self.plural}",
            f"create_{item}",
            f"get_{item}",
            f"patch_{item}",
            f"delete_{item}",
        )

    @property
    def schemas(self) -> tuple[str, ...]:
        return tuple(
            self.Class + suffix for suffix in ("", "Title", "Create", "Patch", "PatchOperation")
        )
