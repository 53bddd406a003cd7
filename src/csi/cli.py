"""The `csi` command: every Django management command plus CSI Workbench's own."""

from __future__ import annotations

import ast
import os
import sys
from importlib.util import find_spec

from django.core.checks import Tags
from django.core.management import BaseCommand, ManagementUtility, get_commands, load_command_class

# Our commands skip the URL checks: checking the URL patterns imports every page and the whole API
# (about a second, most of a command's start). `csi check`, `csi migrate` and `csi serve` (whose
# gunicorn loads the URLs on start) still run them.
FULL_CHECKS = {"serve"}
STARTUP_CHECKS = [tag for name, tag in vars(Tags).items() if not name.startswith("_") and tag != Tags.urls]


def command_help(app: str, name: str) -> str:
    """A command's `help`, read from its source when it is a plain string, so that `csi --help` does not
    import every command and the services behind it; else from the loaded command."""
    spec = find_spec(f"{app}.management.commands.{name}")
    if spec is not None and spec.origin:
        tree = ast.parse(open(spec.origin, encoding="utf-8").read())  # noqa: SIM115
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and node.name == "Command":
                for statement in node.body:
                    if (
                        isinstance(statement, ast.Assign)
                        and any(getattr(t, "id", None) == "help" for t in statement.targets)
                        and isinstance(statement.value, ast.Constant)
                        and isinstance(statement.value.value, str)
                    ):
                        return statement.value.value
    return str(load_command_class(app, name).help)


class CsiUtility(ManagementUtility):
    def fetch_command(self, subcommand: str) -> BaseCommand:
        command = super().fetch_command(subcommand)
        if (
            type(command).__module__.startswith("csi.")
            and subcommand not in FULL_CHECKS
            and command.requires_system_checks == "__all__"
        ):
            command.requires_system_checks = STARTUP_CHECKS
        return command

    def main_help_text(self, commands_only: bool = False) -> str:
        if commands_only:
            return super().main_help_text(commands_only=True)
        commands = get_commands()
        own = sorted(name for name, app in commands.items() if app.startswith("csi."))
        lines = [
            "CSI Workbench: Continual Service Improvement for IT service management.",
            "",
            "Usage: csi COMMAND [options]      csi COMMAND --help   shows a command's options.",
            "",
            "CSI Workbench commands:",
        ]
        for name in own:
            help_text = command_help(commands[name], name).split(". ")[0].rstrip(".")
            lines.append(f"  {name:<14} {help_text}.")
        lines += [
            "",
            "Django commands (database, users, static files...):",
            "  " + ", ".join(sorted(name for name in commands if name not in own)),
            "",
            "Configuration comes from the environment; see .env.example (DATABASE_URL, CSI_DATA_DIR, ...).",
        ]
        return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "csi.settings")
    argv = list(argv if argv is not None else sys.argv)
    argv[0] = "csi"
    CsiUtility(argv).execute()


if __name__ == "__main__":
    main()
