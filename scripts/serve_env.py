"""The settings the Procfile reads (``${KOIN_BIND:-127.0.0.1:8000}`` …), resolved as the app
resolves its own: the environment first, then ``.env``, then the Procfile's default. Printed
as shell ``export`` lines for ``make run``, which evaluates them, prints the address it is about
to serve and starts honcho with exactly these values (honcho on its own lets ``.env`` override
the environment, which is how an address different from the one served used to be printed)."""

from __future__ import annotations

import os
import re
import shlex
import sys
from pathlib import Path

from dotenv import dotenv_values

ROOT = Path(__file__).resolve().parent.parent
SETTING = re.compile(r"\$\{(KOIN_[A-Z_]+):-([^}]*)\}")


def resolved(procfile: Path = ROOT / "Procfile", dotenv: Path = ROOT / ".env") -> dict[str, str]:
    """Every ``${NAME:-default}`` of the Procfile with the value the app would read."""
    from_file = dotenv_values(dotenv) if dotenv.exists() else {}
    values = {}
    for name, default in SETTING.findall(procfile.read_text()):
        values[name] = os.environ.get(name) or from_file.get(name) or default
    return values


if __name__ == "__main__":
    sys.stdout.write("".join(f"export {name}={shlex.quote(value)}\n" for name, value in resolved().items()))
