"""`hotline open311 keys create|list|revoke`: the API keys of systems that file requests."""

from __future__ import annotations

import typer

from ticketing.config import Settings

open311_app = typer.Typer(help="Open311 GeoReport v2 endpoint (/open311/v2/).", no_args_is_help=True)
keys_app = typer.Typer(help="API keys of the systems allowed to file requests.", no_args_is_help=True)
open311_app.add_typer(keys_app, name="keys")


def _session():
    from ticketing.database.core import command_session

    return command_session(Settings().sqlalchemy_url)


@keys_app.command("create")
def keys_create(name: str = typer.Argument(..., help="Who the key is for, e.g. 'district-app'.")) -> None:
    """Issue a key for client NAME and print it (it is shown only this once)."""
    from ticketing.open311 import service

    with _session() as session:
        try:
            key = service.issue_key(session, name)
        except service.ClientError as err:
            raise typer.BadParameter(str(err)) from err
    typer.echo(key)


@keys_app.command("list")
def keys_list() -> None:
    """List the clients: name, key prefix, issued, revoked."""
    from ticketing.open311 import service

    with _session() as session:
        for client in service.get_all_clients(session):
            revoked = client.revoked_at.isoformat(timespec="seconds") if client.revoked_at else "active"
            typer.echo(f"{client.name:30} {client.key_prefix}…  {client.created_at:%Y-%m-%d}  {revoked}")


@keys_app.command("revoke")
def keys_revoke(name: str) -> None:
    """Revoke client NAME's key at once; the requests it filed stay."""
    from ticketing.open311 import service

    with _session() as session:
        try:
            service.revoke_key(session, name)
        except service.ClientError as err:
            raise typer.BadParameter(str(err)) from err
    typer.echo(f"key of {name} revoked")
