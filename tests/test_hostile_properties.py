"""Property: whatever a line holds, it is refused cleanly or accepted (issue #12).

Random bytes, random JSON, and JSON shaped like a command (a real command
name, its real field names, random values of any JSON type) go to the
parser and through ``ledger run``; the only ways out are an answer, a
``LedgerError`` naming why, or exit code 1 -- never an uncaught exception.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st
from typer.testing import CliRunner

from adapters import settings
from adapters.commands import MODELS, execute, parse
from domain.base import ROLES
from domain.errors import LedgerError
from tests.builders import effective_agreement
from tests.conftest import Clerk

runner = CliRunner()

scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20),
                    st.floats(allow_nan=False), st.text(max_size=30),
                    st.sampled_from(["2025-03-03", "2025-02", "XY-2025-001", "TY-H001",
                                     "18650.40", "medical", "voluntary", "1,234.56"]))
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)),
    max_leaves=12)


@st.composite
def command_shaped(draw):
    name = draw(st.sampled_from(sorted(MODELS)))
    model = MODELS[name]
    keys = draw(st.lists(st.sampled_from(sorted(model.model_fields)), unique=True))
    fields = {k: draw(json_values) for k in keys}
    envelope = {"id": draw(st.text(min_size=1, max_size=12)), "command": name,
                "date": draw(st.sampled_from(["2025-03-03", "2025-01-06", "9999-12-31",
                                              "2025-02-30", "x"])),
                "actor": {"user": draw(st.text(min_size=1, max_size=8)),
                          "role": draw(st.sampled_from(list(ROLES) + ["root"]))},
                "fields": fields}
    if draw(st.booleans()):
        del envelope[draw(st.sampled_from(["id", "date", "actor", "fields"]))]
    return json.dumps(envelope, ensure_ascii=draw(st.booleans()))


EXAMPLES = [json.loads(x) for f in sorted(Path(__file__).parent.parent.glob("examples/*.jsonl"))
            for x in f.read_text(encoding="utf-8").splitlines()
            if x.strip() and not x.startswith("#")]


def _leaves(value, path=()):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _leaves(v, path + (i,))
    yield path


def _at(value, path):
    for p in path:
        value = value[p]
    return value


@st.composite
def mutated_example(draw):
    """A real worked-example line with one part of it replaced: most of the
    line is valid, so the domain's own checks are reached."""
    cmd = json.loads(json.dumps(draw(st.sampled_from(EXAMPLES))))
    path = draw(st.sampled_from([p for p in _leaves(cmd) if p]))
    node = cmd
    for p in path[:-1]:
        node = node[p]
    old = node[path[-1]]
    node[path[-1]] = draw(st.one_of(json_values, _alike(old)))
    cmd["id"] = draw(st.one_of(st.from_regex(r"[a-z0-9-]{1,12}", fullmatch=True),
                               st.text(min_size=1, max_size=12)))
    return json.dumps(cmd, ensure_ascii=False)


STRINGS = sorted({v for line in EXAMPLES for p in _leaves(line) if p
                  for v in [_at(line, p)] if isinstance(v, str) and len(v) < 40})


def _alike(old):
    """A value of the same type as ``old``: the kind of slip a person makes."""
    if isinstance(old, bool):
        return st.booleans()
    if isinstance(old, int):
        return st.integers(-3, 400)
    if isinstance(old, str):
        return st.one_of(st.sampled_from(STRINGS), st.dates().map(str))
    return json_values


lines = st.one_of(mutated_example(), st.binary(max_size=200).map(lambda b: b.decode("utf-8", "replace")),
                  json_values.map(json.dumps), command_shaped())


@hsettings(max_examples=int(os.environ.get("HOSTILE_EXAMPLES", "400")), deadline=None)
@given(lines)
def test_the_parser_refuses_cleanly_or_accepts_any_line(line):
    try:
        parse(line)
    except LedgerError as e:
        assert e.reason and e.remedy is not None


@hsettings(max_examples=int(os.environ.get("HOSTILE_EXAMPLES", "60")) // 6, deadline=None,
           suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(st.one_of(st.binary(max_size=300), command_shaped().map(str.encode),
                          mutated_example().map(str.encode)),
                min_size=1, max_size=6))
def test_ledger_run_refuses_cleanly_or_accepts_any_file(store_with_agreement, contents):
    from adapters.cli import app
    url, folder = store_with_agreement
    path = Path(folder) / "random.jsonl"
    path.write_bytes(b"\n".join(c.replace(b"\n", b" ") for c in contents) + b"\n")
    result = runner.invoke(app, ["run", str(path), "--db", url, "--keep-going", "--json"])
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output



@pytest.fixture(scope="module")
def store_with_agreement():
    """One SQLite store for every example: an agreement in force to aim at."""
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/ledger.sqlite"
        ledger = settings.open_ledger(url)
        try:
            effective_agreement(Clerk(ledger))
            for line in EXAMPLES:   # every worked example, so mutated lines meet real state
                try:
                    execute(ledger, line, advance_clock=True)
                except LedgerError:
                    pass
        finally:
            ledger.close()
        yield url, folder
