"""``zhengwu graphql``: the published GraphQL contract."""

from __future__ import annotations

import typer

from zhengwu.cli._runtime import console
from zhengwu.graphql.schema import ANONYMOUS, TIERS

app = typer.Typer(no_args_is_help=True)


@app.command()
def sdl(tier: str = typer.Option("county", help=f"One of: {', '.join((*TIERS, ANONYMOUS))}."),
        write: bool = typer.Option(False, "--write", help="Write every tier's SDL to zhengwu/graphql/sdl/.")
        ) -> None:
    """Print a tier's SDL (or write all of them)."""
    from zhengwu.graphql import sdl as published
    from zhengwu.platform import boot

    host = boot()
    if write:
        for path in published.write_all(host):
            console.print(f"wrote {path}")
        return
    texts = published.render_all(host)
    if tier not in texts:
        console.print(f"[red]unknown tier {tier!r}[/red]; choose one of {', '.join(texts)}")
        raise typer.Exit(2)
    typer.echo(texts[tier], nl=False)
