"""The `csi` command: every Django management command plus CSI Workbench's own."""

from __future__ import annotations

import os
import sys

from django.core.management import ManagementUtility, get_commands, load_command_class


class CsiUtility(ManagementUtility):
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
            help_text = load_command_class(commands[name], name).help.split(". ")[0].rstrip(".")
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
