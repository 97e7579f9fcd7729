"""The one shape of a TOML setting's command (``patron.cli.toml_setting``) serves ``patron service-levels`` and
``patron relationship-rules`` alike: no option prints what is in force, ``--set FILE`` checks and keeps a file
(a wrong one keeps nothing and says why), ``--defaults`` goes back to the built-in values; each says so and
prints what is in force afterwards, and each has its own help."""

from __future__ import annotations

from typer.testing import CliRunner

from patron.cli.app import app, register
from patron.store import Store


def _run(*args):
    return CliRunner().invoke(app, list(args))


def test_service_levels_and_relationship_rules_set_check_and_go_back(tmp_path):
    register()
    path = str(tmp_path / "patron.duckdb")
    Store(path).close()
    levels = tmp_path / "levels.toml"
    levels.write_text('[calendar]\nopens = 9\ncloses = 17\n\n[[policy]]\nfirst_response_hours = 4\n'
                      'resolution_hours = 24\nescalate_to = "service"\n', encoding="utf-8")
    out = _run("service-levels", "--set", str(levels), "--store", path)
    assert out.exit_code == 0, out.output
    assert "Service levels saved." in out.output and "Business hours: Mon Tue Wed Thu Fri 9-17 UTC" in out.output
    levels.write_text("[calendar]\nlunch = 12\n", encoding="utf-8")
    out = _run("service-levels", "--set", str(levels), "--store", path)
    assert out.exit_code != 0 and "unknown field(s) lunch" in out.output + str(out.exception)
    out = _run("service-levels", "--store", path)
    assert out.exit_code == 0 and "9-17 UTC" in out.output  # the wrong file kept nothing
    out = _run("service-levels", "--defaults", "--store", path)
    assert out.exit_code == 0 and "Back to the built-in service levels." in out.output and "8-18 UTC" in out.output

    rules = tmp_path / "rules.toml"
    rules.write_text("[bensaou]\nbuyer_high = 4\n", encoding="utf-8")
    out = _run("relationship-rules", "--set", str(rules), "--store", path)
    assert out.exit_code == 0 and "Relationship rules saved." in out.output and "buyer_high = 4.0" in out.output
    out = _run("relationship-rules", "--defaults", "--store", path)
    assert out.exit_code == 0 and "Back to the built-in rules." in out.output and "buyer_high = 3.0" in out.output
    with Store(path) as store:
        kept = store.query("SELECT detail FROM audit_log WHERE action = 'settings.change'")
    assert len(kept) == 4  # two saves and two returns to the defaults, each audited

    for command, what in (("service-levels", "service levels"), ("relationship-rules", "relationship rules")):
        help_text = " ".join(_run(command, "--help").output.replace("│", " ").split())  # the help's box unwrapped
        assert f"Keep the {what} in this TOML file" in help_text and f"Go back to the built-in {what}" in help_text
