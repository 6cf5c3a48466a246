"""The litestar application factory: settings → plugins → schemas → database → routes.

``create_app()`` is what ``zhengwu serve`` runs and what tests call; nothing happens at
import time, so tests can build apps with their own settings.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin

from zhengwu import __version__
from zhengwu.core.config import Settings, get_settings
from zhengwu.core.db import ALL_SCOPE, make_engine, make_sessionmaker
from zhengwu.core.jobs import make_queue
from zhengwu.core.pii import PiiCipher, install_log_filter
from zhengwu.core.security import roles
from zhengwu.core.security.policy_sync import PolicySync
from zhengwu.graphql.controller import graphql_controller
from zhengwu.graphql.schema import build_schemas
from zhengwu.platform import boot
from zhengwu.web.deps import provide_db, provide_principal
from zhengwu.web.problems import exception_handlers
from zhengwu.web.public import PublicGuidesController
from zhengwu.web.routes import AuthController, CoreController

__all__ = ["create_app"]

log = logging.getLogger("zhengwu")


def create_app(settings: Settings | None = None, *, plugins: Iterable[object] = (),
               entry_points: bool = True) -> Litestar:
    """The application. ``plugins`` adds plugin objects to those found by entry point."""
    settings = settings or get_settings()
    host = boot(plugins, entry_points=entry_points)
    schemas = build_schemas(host)
    if settings.environment == "production" and settings.uses_insecure_key:
        raise RuntimeError("ZHENGWU_SECRET_KEY must be set in production")
    PiiCipher.from_settings(settings)  # refuses a missing (production) or malformed ZHENGWU_PII_KEY
    install_log_filter()  # ID and mobile numbers are masked in every log record

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        engine = make_engine(settings)
        sessionmaker = make_sessionmaker(engine)
        app.state.engine, app.state.sessionmaker = engine, sessionmaker
        async with sessionmaker() as session:
            session.info["scope"] = ALL_SCOPE
            await roles.reload_policy(session)  # custom roles defined by admins
        # other processes' changes to custom roles: checked before authenticated requests
        app.state.policy_sync = PolicySync(sessionmaker, settings.policy_refresh_seconds)
        # Embedded mode (no Redis): jobs and schedules run on this server's loop.
        options = {} if settings.redis_url else {"run_schedules": settings.embedded_schedules}
        queue = make_queue(settings, host.jobs(), sessionmaker, **options)
        await queue.start()
        app.state.jobs = queue
        try:
            yield
        finally:
            await queue.close()  # running jobs still need the database
            await engine.dispose()

    app = Litestar(
        route_handlers=[CoreController, AuthController, PublicGuidesController,
                        graphql_controller(schemas, ide=settings.environment == "development"),
                        *host.routes()],
        dependencies={"principal": Provide(provide_principal),
                      "db": Provide(provide_db)},
        exception_handlers=exception_handlers,
        lifespan=[lifespan],
        openapi_config=OpenAPIConfig(
            title="zhengwu", version=__version__, path="/schema",
            description="政务公开与政务服务平台 — HTTP API for devices and public pages. "
                        "Frontends use GraphQL.",
            render_plugins=[ScalarRenderPlugin(), SwaggerRenderPlugin()],
        ),
    )
    app.state.settings = settings
    app.state.plugins = host
    app.state.schemas = schemas
    return app
