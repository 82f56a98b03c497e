"""Audit commands for the ``ledger`` CLI (AUD-04, AUD-05).

``adapters.cli`` calls :func:`register` when this module exists. Commands:

    ledger verify                      hash-chain check of the whole log; exit 1 names the event
    ledger seal                        seal new events without checking (verify does both)
    ledger init-store                  chain table + append-only triggers (idempotent)
    ledger keygen --out-dir DIR        an Ed25519 signing key pair (PEM)
    ledger checkpoint export --key PEM --out FILE
    ledger checkpoint check FILE [--pubkey PEM]
    (``ledger history``, a subject's events, is ``adapters/cli_history.py``'s:
    it uses ``_subject``, ``_closest_types`` and ``_said`` from here)
    ledger export-case SUBJECT --out FILE --key PEM
    ledger verify-case FILE [--pubkey PEM]

Every command that reads the store takes ``--db`` like the rest of the CLI.
"""
# Annotations are evaluated here, not kept as strings (no ``from __future__
# import annotations``): typer reads every command's annotations each time it
# builds the command line, and evaluating strings was a third of a question's cost.

import json
from pathlib import Path
from typing import Any, Optional

import typer

from adapters.cli_common import DbOption, parse_date, parse_instant

JsonOption = typer.Option(False, "--json", help="print JSON instead of text")


def open_ledger(url: Optional[str] = None, **kw: Any):   # type: ignore[no-untyped-def]
    """adapters.settings.open_ledger, imported when a command opens the store
    (tests route it into their schema by replacing this name)."""
    from adapters.settings import open_ledger as open_store
    return open_store(url, **kw)


def _open(db: Optional[str], *, create: bool = False):   # type: ignore[no-untyped-def]
    """The store; only init-store may make a new one (a question never does)."""
    return open_ledger(db, create=create)


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


# the names supervision's commands share (adapters/cli_supervision.py)
_date, _instant = parse_date, parse_instant


def _label(key: str, **values: Any) -> str:
    from adapters.labels import label
    return label(key, **values)


def _say(text: Any, err: bool = False) -> None:
    """A report's words in the reader's language (adapters.labels.Said);
    JSON keeps their English."""
    from adapters.labels import said
    typer.echo(said(text), err=err)


def _not_trusted(fingerprint: str):  # type: ignore[no-untyped-def]
    """Without --pubkey: the signature only agrees with the key the file carries."""
    from adapters.labels import Said
    return Said("verify.not_trusted", {"fingerprint": fingerprint})


def _private_key(path: Path):
    from adapters.integrity import load_private_key
    try:
        return load_private_key(path)
    except (OSError, ValueError, TypeError) as e:
        typer.echo(f"cannot load the signing key {path}: {e}", err=True)
        raise typer.Exit(2)


def _public_key(path: Optional[Path]):
    if path is None:
        return None
    from adapters.integrity import load_public_key
    try:
        return load_public_key(path)
    except (OSError, ValueError, TypeError) as e:
        typer.echo(f"cannot load the public key {path}: {e}", err=True)
        raise typer.Exit(2)


# --- integrity -------------------------------------------------------------------------------
def verify_command(no_seal: bool = typer.Option(False, "--no-seal",
                                                help="do not seal new events after a clean check"),
                   chain_only: bool = typer.Option(False, "--chain-only",
                                                   help="check the hash chain only"),
                   as_json: bool = JsonOption, db: Optional[str] = DbOption) -> None:
    """Check every stored event against the hash chain (AUD-05), then prove
    a rebuild of the read models equals the live ones and the money
    identities hold at every point (AUD-02, AUD-06).

    New events are sealed only when everything before them verified clean,
    and each only once it decodes. Exit 1 names the first event whose stored
    form does not match, or the first new event the ledger cannot read.

    Example: `ledger verify --chain-only`
    """
    from adapters.integrity import verify
    from adapters.progress import progress
    ledger = _open(db)
    models = None
    try:
        with progress(_label("cli.verifying_chain")) as steps:
            report = verify(ledger, seal_unsealed=not no_seal)
            if report.ok and not chain_only:
                steps.say(_label("cli.verifying_models"))
                models = _verify_read_models(ledger)
    finally:
        ledger.close()
    if models is not None and models.get("unreadable"):
        if as_json:
            _echo_json({**report.as_dict(), "read_models": models})
        else:
            _say(report.message())
            _say(models["unreadable"])
        raise typer.Exit(1)
    models_ok = models is None or (models["rebuild_equals_live"]
                                   and not models["identities_broken"])
    if as_json:
        _echo_json({**report.as_dict(), "read_models": models})
    else:
        _say(report.message())
        if models is not None:
            _say(models_line(models))
            for line in models["identities_broken"][:20]:
                _say(f"  {_said(line)}")
    if not report.ok or not models_ok:
        raise typer.Exit(1)


def _verify_read_models(ledger) -> dict[str, Any]:
    """The read models' check, which decodes every event: an event sealed
    before the ledger decoded what it sealed (or by a version that knew its
    class) can still fail to read, and is then named instead of a traceback."""
    from adapters.integrity import first_unreadable
    from adapters.readmodels import RebuildUnfinished, verify as verify_read_models
    try:
        return verify_read_models(ledger)
    except RebuildUnfinished:
        raise
    except Exception as e:  # noqa: BLE001 - named below, never a traceback
        from adapters.labels import Said
        problem = first_unreadable(ledger)
        why = Said("verify.sealed_unreadable", {"problem": problem.message()}) if problem \
            else f"{type(e).__name__}: {e}"
        return {"rebuild_equals_live": False, "differences": [], "identities_broken": [],
                "unreadable": Said("verify.models_unreadable", {"why": why})}


def models_line(models: dict[str, Any]) -> Any:
    """The read models' check in one line (``ledger verify``, ``verify-models``)."""
    from adapters.labels import Said
    differs = Said("verify.differs", {"tables": ", ".join(models["differences"])}) \
        if models["differences"] else ""
    return Said("verify.models", {
        "equal": Said("verify.equal_yes" if models["rebuild_equals_live"] else "verify.equal_no"),
        "differs": differs, "broken": len(models["identities_broken"])})


def _said(text: Any) -> str:
    from adapters.labels import said
    return said(text)


def seal_command(db: Optional[str] = DbOption) -> None:
    """Seal new events without checking the sealed ones.

    Each new event is sealed only once it decodes; exit 1 names the first
    that does not (nothing from it on is sealed). Prefer `ledger verify`,
    which checks first and then seals.

    Example: `ledger seal`
    """
    from adapters.integrity import seal
    ledger = _open(db)
    try:
        result = seal(ledger)
    finally:
        ledger.close()
    _say(result.message())
    if result.blocked is not None:
        raise typer.Exit(1)


def init_store_command(role: str = typer.Option("ledger_app", "--role",
                                                help="application role for the DBA's SQL"),
                       db: Optional[str] = DbOption) -> None:
    """Create the chain table and the append-only triggers (idempotent).

    Example: `ledger init-store --db ledger.sqlite`
    """
    from adapters.integrity import engine_of, init_store, revoke_sql
    ledger = _open(db, create=True)
    try:
        done = init_store(ledger)
        postgres = engine_of(ledger).dialect.name == "postgresql"
        sql = revoke_sql(ledger, role) if postgres else ""
    finally:
        ledger.close()
    typer.echo(f"chain table {done['chain_table']}: "
               f"{'created' if done['chain_table_created'] else 'present'}")
    typer.echo("triggers installed: " + (", ".join(done["triggers_installed"]) or
                                         "none (all present)"))
    if sql:
        typer.echo("A DBA should also run, as the tables' owner:\n" + sql)


def keygen_command(out_dir: Path = typer.Option(..., "--out-dir", help="folder for the keys"),
                   name: str = typer.Option("ledger-signing", "--name")) -> None:
    """Generate an Ed25519 signing key pair: NAME.key (private, 0600) and NAME.pub.

    Example: `ledger keygen --out-dir ~/ledger-keys`
    """
    from adapters.integrity import generate_key, key_fingerprint, public_key_b64, save_keypair
    key = generate_key()
    try:
        private, public = save_keypair(key, out_dir, name)
    except FileExistsError as e:
        typer.echo(str(e), err=True)
        raise typer.Exit(1)
    typer.echo(f"private key: {private}\npublic key:  {public}\n"
               f"fingerprint: {key_fingerprint(public_key_b64(key))}")


checkpoint_app = typer.Typer(no_args_is_help=True, add_completion=False,
                             help="Signed checkpoints of the whole log (AUD-05).")


@checkpoint_app.command("export")
def checkpoint_export(key: Path = typer.Option(..., "--key", help="Ed25519 private key (PEM)"),
                      out: Path = typer.Option(..., "--out", help="checkpoint JSON file"),
                      db: Optional[str] = DbOption) -> None:
    """Verify the store, then write a signed checkpoint of the whole log.

    The checkpoint holds the event count, chain head, Merkle root, time,
    public key and Ed25519 signature.

    Example: `ledger checkpoint export --key ~/ledger-keys/ledger-signing.key --out cp.json`
    """
    from adapters.integrity import IntegrityProblem, export_checkpoint, key_fingerprint
    private = _private_key(key)
    ledger = _open(db)
    try:
        checkpoint = export_checkpoint(ledger, private)
    except IntegrityProblem as e:
        _say(e.args[0] if e.args else e, err=True)
        raise typer.Exit(1)
    finally:
        ledger.close()
    out.write_text(json.dumps(checkpoint, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    typer.echo(f"checkpoint of {checkpoint['count']} event(s) (through #"
               f"{checkpoint['last_notification_id']}) written to {out}; root "
               f"{checkpoint['root'][:16]}..., key {key_fingerprint(checkpoint['public_key'])}")


@checkpoint_app.command("check")
def checkpoint_check(file: Path = typer.Argument(..., help="checkpoint JSON file"),
                     pubkey: Optional[Path] = typer.Option(None, "--pubkey",
                                                           help="the trusted public key (PEM)"),
                     as_json: bool = JsonOption, db: Optional[str] = DbOption) -> None:
    """Check that the store still holds what a checkpoint signed.

    Without --pubkey the signature is checked only against the key the
    checkpoint carries: self-consistent, not proof of who signed it.

    Example: `ledger checkpoint check cp.json --pubkey ~/ledger-keys/ledger-signing.pub`
    """
    from adapters.integrity import check_checkpoint
    try:
        checkpoint = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        typer.echo(f"cannot read checkpoint {file}: {e}", err=True)
        raise typer.Exit(2)
    trusted = _public_key(pubkey)
    ledger = _open(db)
    try:
        report = check_checkpoint(ledger, checkpoint, trusted)
    finally:
        ledger.close()
    caveat = _not_trusted(report.fingerprint) if trusted is None and report.ok else None
    if as_json:
        _echo_json({"ok": report.ok, "failures": report.failures, "count": report.count,
                    "fingerprint": report.fingerprint, "trusted_key": trusted is not None,
                    "message": report.message() + (f" {caveat}" if caveat else "")})
    else:
        _say(report.message())
        if caveat:
            _say(caveat)
    if not report.ok:
        raise typer.Exit(1)


# --- the investigator's timeline ----------------------------------------------------------------
def _subject(institution: Optional[str], agreement: Optional[str], person: Optional[str]):
    from adapters.timeline import Subject
    given = [(k, v) for k, v in (("institution", institution), ("agreement", agreement),
                                 ("person", person)) if v]
    if len(given) != 1:
        raise typer.BadParameter("give exactly one of --institution, --agreement, --person")
    return Subject(*given[0])


def _closest_types(given: Any) -> str:
    """"did you mean" for a mistyped event type, before the list of all."""
    import difflib
    from adapters.timeline import RULES
    names = set(RULES) | {n.split(".")[0] for n in RULES} | {n.split(".")[-1] for n in RULES}
    hints = []
    for t in given:
        close = difflib.get_close_matches(t, names, n=3, cutoff=0.6)
        if t not in names and close:
            hints.append(f"{t!r}: did you mean {' or '.join(map(repr, close))}? ")
    return "".join(hints)


# --- case files ------------------------------------------------------------------------------------
def export_case_command(subject: str = typer.Argument(..., metavar="KIND:KEY",
                                                    help="institution:CODE, "
                                                         "agreement:NUMBER or person:ID"),
                        out: Path = typer.Option(..., "--out", help="case file to write (.json)"),
                        key: Path = typer.Option(..., "--key", help="Ed25519 private key (PEM)"),
                        db: Optional[str] = DbOption) -> None:
    """Write a signed case file for a subject that verifies offline.

    Example: `ledger export-case institution:TY-H001 --out case.json --key ledger-signing.key`
    """
    from adapters.casefile import export_case
    from adapters.integrity import IntegrityProblem, key_fingerprint
    from adapters.progress import progress
    from adapters.timeline import Subject
    try:
        parsed = Subject.parse(subject)
    except ValueError as e:
        raise typer.BadParameter(str(e))
    private = _private_key(key)
    ledger = _open(db)
    try:
        with progress(_label("cli.exporting", subject=str(parsed))):
            manifest = export_case(ledger, parsed, out, private)
    except (IntegrityProblem, LookupError) as e:
        typer.echo(str(e).strip("'\""), err=True)
        raise typer.Exit(1)
    finally:
        ledger.close()
    from adapters.labels import Said
    _say(Said("casefile.exported", {"subject": parsed, "events": manifest["events"],
                                    "log_events": manifest["log_events"], "out": out,
                                    "digest": manifest["digest"][:16],
                                    "fingerprint": key_fingerprint(manifest["public_key"])}))


def verify_case_command(file: Path = typer.Argument(..., help="case file"),
                        pubkey: Optional[Path] = typer.Option(None, "--pubkey",
                                                              help="the trusted public key"),
                        as_json: bool = JsonOption) -> None:
    """Check a case file offline (no database); exit 1 names what failed.

    Without --pubkey the signature is checked only against the key the file
    carries: self-consistent, not proof of who signed it.

    Example: `ledger verify-case TY-H001.case.json --pubkey ledger-signing.pub`
    """
    from adapters.casefile import verify_case
    report = verify_case(file, _public_key(pubkey))
    caveat = _not_trusted(report.fingerprint) if pubkey is None and report.ok else None
    if as_json:
        _echo_json({"ok": report.ok, "subject": report.subject, "events": report.events,
                    "fingerprint": report.fingerprint, "failures": report.failures,
                    "trusted_key": pubkey is not None})
    else:
        _say(report.message())
        if caveat:
            _say(caveat)
    if not report.ok:
        raise typer.Exit(1)


COMMANDS = {"verify": verify_command, "seal": seal_command, "init-store": init_store_command,
            "keygen": keygen_command,
            "export-case": export_case_command, "verify-case": verify_case_command}


def register(app: typer.Typer) -> None:
    """Add the audit commands to the ``ledger`` app (once)."""
    present = {c.name for c in app.registered_commands} | \
              {g.name for g in app.registered_groups}
    for name, fn in COMMANDS.items():
        if name not in present:
            app.command(name)(fn)
    if "checkpoint" not in present:
        app.add_typer(checkpoint_app, name="checkpoint")
