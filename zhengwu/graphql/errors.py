"""Typed errors: mutation payload errors, and domain errors raised from queries.

Mutations never throw for a domain problem: they return ``errors { field code message }``
in their payload. Queries raise; ``DomainErrorExtension`` turns a ``DomainError`` into a
GraphQL error whose ``extensions`` carry the stable ``code`` (and ``field``), with the
message in the caller's language. Anything unexpected is masked.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from zhengwu.core.errors import DomainError

__all__ = ["DomainErrorExtension", "UserError", "user_errors"]


@strawberry.type(description="A problem with the input of a mutation (字段, 代码, 说明).")
class UserError:
    field: str | None = strawberry.field(description="The input field at fault, if one is.")
    code: str = strawberry.field(description="Stable dotted code, e.g. `tenant.duplicate_code`.")
    message: str = strawberry.field(description="Readable message in the request's language.")


def user_errors(exc: DomainError, lang: str) -> list[UserError]:
    """The payload errors for a domain error (one per problem for multi-problem errors)."""
    problems = exc.params.get("problems")
    if problems:
        return [UserError(field=p.field, code=p.code, message=p.en if lang == "en" else p.zh)
                for p in problems]
    return [UserError(field=exc.field, code=exc.code, message=exc.message(lang))]


class DomainErrorExtension(SchemaExtension):
    """Rewrite errors: domain errors get their code; unexpected ones are masked."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if not result or not result.errors:
            return
        lang = getattr(self.execution_context.context, "lang", "zh")
        result.errors = [self._rewrite(e, lang) for e in result.errors]

    @staticmethod
    def _rewrite(error: GraphQLError, lang: str) -> GraphQLError:
        original = error.original_error
        if original is None:
            return error  # syntax or validation error: already safe and useful
        if isinstance(original, DomainError):
            ext: dict[str, Any] = {"code": original.code}
            if original.field:
                ext["field"] = original.field
            return GraphQLError(original.message(lang), nodes=error.nodes, source=error.source,
                                positions=error.positions, path=error.path, extensions=ext)
        if isinstance(original, GraphQLError):
            return error
        import logging

        logging.getLogger("zhengwu.graphql").error("unexpected error in resolver",
                                                   exc_info=original)
        message = "服务器内部错误" if lang == "zh" else "internal server error"
        return GraphQLError(message, nodes=error.nodes, source=error.source,
                            positions=error.positions, path=error.path,
                            extensions={"code": "server.error"})
