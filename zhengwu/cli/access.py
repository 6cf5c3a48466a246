"""placeholder"""
import typer
app = typer.Typer()
users_app = typer.Typer()
roles_app = typer.Typer()
