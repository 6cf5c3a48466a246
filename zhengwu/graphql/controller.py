"""The GraphQL endpoint: one path, the schema chosen per request by the acting tier.

The schema is chosen in ``execute_request`` — not in a dependency: litestar resolves
dependencies in separate tasks, so a ContextVar set there is invisible to the handler
(stack-notes: a first attempt silently served the wrong tier). The context dependency
builds the ``GraphQLContext`` from the request principal and a scoped session.
"""

from __future__ import annotations

import copy
from typing import Any, ClassVar, cast

import strawberry
from litestar import Request, Response
from litestar.background_tasks import BackgroundTasks
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.litestar.controller import (
    GraphQLController,
    _context_getter_http,
    _none_root_value_getter,
)

from zhengwu.core.security.principal import Principal
from zhengwu.graphql.context import GraphQLContext
from zhengwu.graphql.loaders import Loaders
from zhengwu.graphql.schema import ANONYMOUS
from zhengwu.graphql.session import SerialSession
from zhengwu.web.problems import language

__all__ = ["graphql_controller"]


async def _graphql_context(request: Request[Any, Any, Any], state: State,
                           principal: NamedDependency[Principal],
                           db: NamedDependency[AsyncSession]) -> GraphQLContext:
    tier = ANONYMOUS if principal.is_anonymous else principal.acting_tier
    session = cast(AsyncSession, SerialSession(db))  # fields resolve concurrently
    return GraphQLContext(principal=principal, session=session, settings=state.settings,
                          lang=language(request), tier=tier, loaders=Loaders(session))


def _response() -> Response[Any]:
    return Response({}, background=BackgroundTasks([]))


def graphql_controller(schemas: dict[str, strawberry.Schema], *, path: str = "/graphql",
                       ide: bool = False) -> type[GraphQLController[Any, Any]]:
    """A controller serving ``schemas`` (tier → schema) at ``path``."""

    class TieredGraphQLController(GraphQLController[Any, Any]):
        dependencies: ClassVar[dict[str, Provide]] = {  # type: ignore[misc]
            "custom_context": Provide(_graphql_context),
            "context": Provide(_context_getter_http),
            "root_value": Provide(_none_root_value_getter),
            "response": Provide(_response, sync_to_thread=False),
        }

        websocket_endpoint = None  # type: ignore[assignment]  # no subscriptions (yet)

        async def execute_request(self, request: Request[Any, Any, Any], context: Any,
                                  root_value: Any) -> Response[Any]:
            view = copy.copy(self)  # per request: never mutate the shared controller
            view.schema = schemas.get(context.tier) or schemas[ANONYMOUS]
            return await GraphQLController.execute_request(view, request, context, root_value)

    TieredGraphQLController.path = path
    TieredGraphQLController.schema = schemas[ANONYMOUS]
    TieredGraphQLController.graphql_ide = "graphiql" if ide else None
    TieredGraphQLController.allow_queries_via_get = True
    TieredGraphQLController.tags = ["graphql"]
    return TieredGraphQLController
