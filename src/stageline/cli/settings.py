"""``stageline settings ...``: matching per connection, MRR business settings, stage rules.

Every ``set`` saves the setting and re-evaluates every account at once (a rematch when the
matching changes), and prints what moved.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from stageline.cli.context import cli_errors, console, print_json, runtime
from stageline.cli.workspaces import JsonOpt, WorkspaceOpt
from stageline.domain.stages import StageRules, StageRulesError, rules_from_dict
from stageline.errors import InvalidInput
from stageline.facts import configure
from stageline.facts.settings import ConnectionMatching, WorkspaceSettings
from stageline.store.workspaces import find_workspace

settings_app = typer.Typer(help="Matching, MRR and stage settings.", no_args_is_help=True)
matching_app = typer.Typer(
    help="How Stripe customers match accounts and users.", no_args_is_help=True
)
mrr_app = typer.Typer(
    help="MRR switches, currency, FX rates and value sources.", no_args_is_help=True
)
stages_app = typer.Typer(help="Lifecycle stage rules.", no_args_is_help=True)
settings_app.add_typer(matching_app, name="matching")
settings_app.add_typer(mrr_app, name="mrr")
settings_app.add_typer(stages_app, name="stages")

STEP_FORMS = (
    "metadata:KEY[:account|user], property:NAME[:account|user], email[:user], "
    "email_domain[:account]"
)


def parse_step(text: str) -> dict[str, Any]:
    """``metadata:account_id:account`` → the stored form of one matching step.

    >>> parse_step("metadata:org_id")
    {'type': 'metadata', 'key': 'org_id', 'target': 'account'}
    >>> parse_step("email-domain")
    {'type': 'email_domain', 'target': 'account'}
    """
    kind, *rest = [part.strip() for part in text.strip().split(":")]
    kind = kind.replace("-", "_")
    if kind in ("metadata", "property") and len(rest) in (1, 2) and rest[0]:
        field = "key" if kind == "metadata" else "property"
        return {"type": kind, field: rest[0], "target": rest[1] if len(rest) == 2 else "account"}
    if kind in ("email", "email_domain") and len(rest) <= 1:
        default = "user" if kind == "email" else "account"
        return {"type": kind, "target": rest[0] if rest else default}
    raise InvalidInput(f"cannot read matching step {text!r}", hint=f"use {STEP_FORMS}")


def _done(data: Any, as_json: bool, lines: list[str]) -> None:
    if as_json:
        print_json(data)
        return
    for line in lines:
        console.print(line, highlight=False)


def _recomputed(data: dict[str, Any]) -> str:
    done = data["recomputed"]
    created = done["created"]
    text = (
        f"Re-evaluated {done['accounts']} accounts: {done['changed']} changed, "
        f"{done['movements']} MRR movements, {done['stage_transitions']} stage changes."
    )
    if created["accounts"] or created["users"]:
        text += f" Created {created['accounts']} accounts and {created['users']} users."
    return text


@settings_app.command("show")
def settings_show(workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """Every setting. Example: stageline settings show --json"""
    with cli_errors(as_json=as_json):
        rt = runtime()
        with rt.store.session() as session:
            data = configure.settings_view(
                session, workspace=find_workspace(session, ref=workspace)
            )
        if as_json:
            print_json(data)
        else:
            console.print_json(json.dumps(data))


@matching_app.command("show")
def matching_show(workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """Each connection's ordered matching steps. Example: stageline settings matching show"""
    with cli_errors(as_json=as_json):
        rt = runtime()
        with rt.store.session() as session:
            rows = configure.matching_view(
                session, workspace=find_workspace(session, ref=workspace)
            )
        if as_json:
            print_json(rows)
            return
        for row in rows:
            default = " (default)" if row["default"] else ""
            console.print(f"[bold]{row['connection_id']}[/]{default}")
            for number, step in enumerate(row["steps"], start=1):
                detail = step.get("key") or step.get("property") or ""
                console.print(f"  {number}. {step['type']} {detail} -> {step['target']}")
            create = f"on ({row['created_target']}s)" if row["create_missing"] else "off"
            console.print(f"  create missing: {create}")


@matching_app.command("set")
def matching_set(
    step: Annotated[
        list[str] | None,
        typer.Option("--step", help=f"A matching step, in order; repeat. Forms: {STEP_FORMS}."),
    ] = None,
    create_missing: Annotated[
        bool | None,
        typer.Option(
            "--create-missing/--no-create-missing",
            help="Create accounts (or users) from unmatched customers.",
            show_default=False,
        ),
    ] = None,
    reset: Annotated[bool, typer.Option("--reset", help="Back to the default.")] = False,
    connection: Annotated[
        str | None, typer.Option("--connection", help="Connection id (optional if only one).")
    ] = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Set a connection's matching steps (first hit wins), then rematch every customer.

    Example: stageline settings matching set --step property:stripe_customer_id:account
    --step metadata:account_id:account --step email_domain --create-missing
    """
    with cli_errors(as_json=as_json):
        if reset and (step or create_missing is not None):
            raise InvalidInput("--reset takes no --step or --create-missing")
        if not reset and not step and create_missing is None:
            raise InvalidInput("nothing to change", hint="give --step, --create-missing or --reset")
        rt = runtime()
        with rt.store.session() as session:
            ws = find_workspace(session, ref=workspace)
            matching = None
            if not reset:
                current = next(
                    (
                        row
                        for row in configure.matching_view(session, workspace=ws)
                        if connection is None or row["connection_id"] == connection
                    ),
                    {"steps": [], "create_missing": False},
                )
                matching = ConnectionMatching.from_json(
                    {
                        "steps": [parse_step(s) for s in step] if step else current["steps"],
                        "create_missing": current["create_missing"]
                        if create_missing is None
                        else create_missing,
                    }
                )
            data = configure.set_matching(
                session, workspace=ws, connection_id=connection, matching=matching, now=rt.now()
            )
        steps = ", ".join(
            f"{s['type']} {s.get('key') or s.get('property') or ''}".strip() + f" -> {s['target']}"
            for s in data["matching"]["steps"]
        )
        _done(
            data,
            as_json,
            [f"Matching for {data['matching']['connection_id']}: {steps}.", _recomputed(data)],
        )


@mrr_app.command("show")
def mrr_show(workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """MRR switches, reporting currency, FX rates and their date, MRR and renewal sources."""
    with cli_errors(as_json=as_json):
        rt = runtime()
        with rt.store.session() as session:
            data = configure.mrr_view(find_workspace(session, ref=workspace))
        if as_json:
            print_json(data)
            return
        table = Table("setting", "value")
        for key, value in data.items():
            table.add_row(key, json.dumps(value) if isinstance(value, dict) else str(value))
        console.print(table)


def _rates(values: list[str]) -> dict[str, str]:
    rates = {}
    for value in values:
        currency, sep, rate = value.partition("=")
        if not sep:
            raise InvalidInput(f"cannot read FX rate {value!r}", hint="use CUR=RATE, e.g. eur=1.08")
        rates[currency.strip()] = rate.strip()
    return rates


@mrr_app.command("set")
def mrr_set(
    count_trials: Annotated[
        bool | None,
        typer.Option(
            "--count-trials/--no-count-trials",
            show_default=False,
            help="Count trialing subscriptions at their price.",
        ),
    ] = None,
    keep_scheduled: Annotated[
        bool | None,
        typer.Option(
            "--keep-scheduled-cancellations/--no-keep-scheduled-cancellations",
            show_default=False,
            help="Count a scheduled cancellation until it ends.",
        ),
    ] = None,
    all_discounts: Annotated[
        bool | None,
        typer.Option(
            "--apply-all-active-discounts/--no-apply-all-active-discounts",
            show_default=False,
            help="Every active discount reduces MRR, not only forever ones.",
        ),
    ] = None,
    reporting_currency: Annotated[
        str | None, typer.Option("--reporting-currency", help="e.g. usd")
    ] = None,
    fx_rate: Annotated[
        list[str] | None,
        typer.Option(
            "--fx-rate", help="CUR=RATE: units of the reporting currency per unit of CUR; repeat."
        ),
    ] = None,
    fx_rates_date: Annotated[
        str | None,
        typer.Option("--fx-rates-date", help="The date the rates are from (YYYY-MM-DD)."),
    ] = None,
    clear_fx_rates: Annotated[
        bool, typer.Option("--clear-fx-rates", help="Drop every rate first.")
    ] = False,
    mrr_source: Annotated[
        str | None, typer.Option("--mrr-source", help="stripe, property:NAME or property:NAME:year")
    ] = None,
    renewal_source: Annotated[
        str | None, typer.Option("--renewal-source", help="stripe or property:NAME")
    ] = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change MRR business settings, then recompute every account.

    Example: stageline settings mrr set --reporting-currency usd --fx-rate eur=1.08
    --fx-rates-date 2026-01-31 --count-trials
    """
    with cli_errors(as_json=as_json):
        switches = {
            name: value
            for name, value in (
                ("count_trials", count_trials),
                ("keep_scheduled_cancellations", keep_scheduled),
                ("apply_all_active_discounts", all_discounts),
            )
            if value is not None
        }
        rates = _rates(fx_rate or [])
        change = configure.MrrChange(
            switches=switches,
            reporting_currency=reporting_currency,
            fx_rates=rates if (rates or clear_fx_rates) else None,
            replace_fx_rates=clear_fx_rates,
            fx_rates_date=fx_rates_date,
            mrr_source=mrr_source,
            renewal_source=renewal_source,
        )
        rt = runtime()
        with rt.store.session() as session:
            data = configure.set_mrr(
                session,
                workspace=find_workspace(session, ref=workspace),
                change=change,
                now=rt.now(),
            )
        _done(data, as_json, [*data["notes"], "MRR settings saved.", _recomputed(data)])


@stages_app.command("show")
def stages_show(workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """The stage rules in precedence order (JSON as for --file)."""
    with cli_errors(as_json=as_json):
        rt = runtime()
        with rt.store.session() as session:
            data = configure.stages_view(find_workspace(session, ref=workspace))
        if as_json:
            print_json(data)
            return
        for number, rule in enumerate(data["rules"], start=1):
            extra = (
                f", cancel_at_period_end={rule['cancel_at_period_end']}"
                if rule["cancel_at_period_end"] is not None
                else ""
            )
            console.print(
                f"{number}. [bold]{rule['name']}[/]: {', '.join(rule['statuses'])}{extra}"
            )


def _load_rules(path: Path) -> StageRules:
    try:
        return rules_from_dict(json.loads(path.read_text(encoding="utf-8")))
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{path} is not JSON: {exc}") from exc
    except StageRulesError as exc:
        raise InvalidInput(f"stage rules in {path}: {exc}", hint="see docs/stages.md") from exc


@stages_app.command("set")
def stages_set(
    file: Annotated[
        Path | None, typer.Option("--file", help="Rules as JSON (see stages show --json).")
    ] = None,
    reset: Annotated[bool, typer.Option("--reset", help="Back to the default rules.")] = False,
    preview: Annotated[
        bool, typer.Option("--preview", help="Only say how many accounts would move.")
    ] = False,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Replace the stage rules and re-evaluate every account (or only preview the moves).

    Example: stageline settings stages set --file rules.json --preview
    """
    with cli_errors(as_json=as_json):
        if (file is None) == (not reset):
            raise InvalidInput("give exactly one of --file or --reset")
        rules = _load_rules(file) if file is not None else None
        rt = runtime()
        with rt.store.session() as session:
            ws = find_workspace(session, ref=workspace)
            if preview:
                chosen = rules if rules is not None else WorkspaceSettings().stage_rules
                data = configure.preview_stage_rules(session, workspace=ws, rules=chosen)
            else:
                data = configure.set_stage_rules(session, workspace=ws, rules=rules, now=rt.now())
        lines = [
            f"{move['accounts']} accounts: {move['from'] or 'no matching stage'} -> "
            f"{move['to'] or 'no matching stage'}"
            for move in data["moves"]
        ]
        verb = "would move" if preview else "moved"
        lines.append(
            f"{data['moved']} of {data['total']} accounts {verb}; {data['unchanged']} unchanged."
        )
        if not preview:
            lines.append(_recomputed(data))
        _done(data, as_json, lines)
