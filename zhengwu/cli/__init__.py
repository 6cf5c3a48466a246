"""The operator's command line: ``zhengwu``.

Each group lives in its own module (``tenants``, ``access``, ``audit``); this module wires
them together and holds the process-level commands (migrate, serve, demo). Plugins add
their own groups through the ``zhengwu_cli`` hook (``plugins.mount``).
"""

from __future__ import annotations

import typer

from zhengwu.cli import access, audit, calendar, catalog, graphql, plugins, tenants
from zhengwu.cli.demo import demo
from zhengwu.cli.worker import worker

app = typer.Typer(help="zhengwu — 政务公开与政务服务平台 (operator CLI)", no_args_is_help=True,
                  pretty_exceptions_show_locals=False)
app.add_typer(tenants.app, name="tenants", help="Provision and inspect tenants (行政区划).")
app.add_typer(access.users_app, name="users", help="Create users.")
app.add_typer(access.roles_app, name="roles", help="Grant and revoke roles.")
app.add_typer(audit.app, name="audit", help="The audit trail.")
app.add_typer(catalog.app, name="catalog",
              help="Import and export the service-item catalog and implementation lists.")
app.add_typer(calendar.app, name="calendar",
              help="The working-day clock: holidays, the yearly notice, regional days, deadlines.")
app.add_typer(plugins.app, name="plugins", help="Installed plugins and their enablement per tenant.")
app.add_typer(graphql.app, name="graphql", help="The published GraphQL contract (SDL per tier).")
app.command(help="Provision 宣城市 (3418) with users of every role; idempotent.")(demo)
app.command(help="Run background jobs and schedules from Redis (ZHENGWU_REDIS_URL).")(worker)


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema (runs as the table owner)."""
    from zhengwu.core.config import get_settings
    from zhengwu.core.migrate import upgrade
    from zhengwu.platform import boot

    settings = get_settings()
    upgrade(settings, plugin_locations=boot().migration_locations())
    typer.echo(f"database at head: {settings.database_url.split('@')[-1]}")


@app.command()
def serve(host: str | None = typer.Option(None, help="Default: ZHENGWU_HOST (127.0.0.1)."),
          port: int | None = typer.Option(None, help="Default: ZHENGWU_PORT (8000)."),
          reload: bool = typer.Option(False, help="Reload on code changes (development).")) -> None:
    """Run the HTTP server (GraphQL at /graphql, OpenAPI at /schema)."""
    import uvicorn

    from zhengwu.core.config import get_settings

    settings = get_settings()
    uvicorn.run("zhengwu.app:create_app", factory=True, host=host or settings.host,
                port=port or settings.port, reload=reload, log_level="info")


plugins.mount(app)  # each plugin's own group (hook zhengwu_cli), e.g. ``zhengwu intake import``


def main() -> None:
    from zhengwu.core.pii import install_log_filter

    install_log_filter()  # ID and mobile numbers are masked in every log record (worker too)
    app()
