#!/usr/bin/env python3
"""Start Revisit, or run its tests, on a machine that has nothing but Python 3.11 or newer.

    python3 run.py dev [--port 8000] [--no-demo] [--reset] ...   the API, the worker and a demo store
    python3 run.py test [pytest arguments] ...                    the test suite

It finds ``uv`` (on PATH, or installs it from PyPI into .revisit/bootstrap/), installs the locked
dependencies into .venv/ with ``uv sync --frozen``, then runs ``uv run revisit dev …`` or
``uv run pytest …`` and exits with their exit code. No sudo, no network other than PyPI.
Only the standard library is used here, on purpose.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
BOOTSTRAP = ROOT / ".revisit" / "bootstrap"
PYTEST_NO_TESTS = 5
USAGE = __doc__.split("\n\n")[1] if __doc__ else ""


def main(argv: list[str]) -> int:
    if sys.version_info < (3, 11):  # noqa: UP036 - this script is what older Pythons run first
        return fail(f"Revisit needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    if not argv or argv[0] not in {"dev", "test"}:
        print("Usage:\n" + USAGE, file=sys.stderr)
        return 0 if argv and argv[0] in {"-h", "--help", "help"} else 2
    command, rest = argv[0], argv[1:]
    os.chdir(ROOT)
    uv = find_uv()
    if uv is None:
        return fail(
            "Could not install uv. Install it yourself (https://docs.astral.sh/uv/) and run this again."
        )
    env = uv_environment()
    sync = [uv, "sync", "--frozen"] if (ROOT / "uv.lock").exists() else [uv, "sync"]
    say(" ".join(["uv", *sync[1:]]))
    code = run(sync, env)
    if code != 0:
        return fail(f"Installing the dependencies failed (uv sync exited with {code}).", code)
    if command == "dev":
        return run([uv, "run", "--no-sync", "revisit", "dev", *rest], env)
    code = run([uv, "run", "--no-sync", "pytest", *rest], env)
    if code == PYTEST_NO_TESTS:
        return fail("pytest collected no tests: that is a failure, not a pass.", code)
    return code


def find_uv() -> str | None:
    """uv from PATH, else the copy installed earlier under .revisit/bootstrap, else a fresh install."""
    found = shutil.which("uv")
    if found:
        return found
    for candidate in _bootstrap_candidates():
        if candidate.exists():
            return str(candidate)
    say("uv not found: installing it from PyPI into .revisit/bootstrap/")
    return _install_uv()


def _bootstrap_candidates() -> list[Path]:
    scripts = "Scripts" if os.name == "nt" else "bin"
    exe = "uv.exe" if os.name == "nt" else "uv"
    return [BOOTSTRAP / "venv" / scripts / exe, BOOTSTRAP / "target" / "bin" / exe]


def _install_uv() -> str | None:
    # 1. A private virtual environment: works as root or not, and on systems whose Python refuses
    #    `pip install` outside a venv (PEP 668).
    venv_dir = BOOTSTRAP / "venv"
    try:
        venv.EnvBuilder(with_pip=True, clear=True).create(venv_dir)
        python = venv_dir / ("Scripts" if os.name == "nt" else "bin") / "python"
        if run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "uv"]) == 0:
            uv = _bootstrap_candidates()[0]
            if uv.exists():
                return str(uv)
    except Exception as exc:  # e.g. Debian without python3-venv: no ensurepip
        say(f"Could not make a virtual environment ({exc}); trying pip --target instead")
    # 2. The system pip, into a folder of our own (no --user, no system changes).
    target = BOOTSTRAP / "target"
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    if run([*command, "--target", str(target), "uv"]) == 0:
        uv = _bootstrap_candidates()[1]
        if uv.exists():
            return str(uv)
    return None


def uv_environment() -> dict[str, str]:
    env = dict(os.environ)
    # Use the Python running this script rather than downloading one (no network beyond PyPI).
    env.setdefault("UV_PYTHON_DOWNLOADS", "never")
    if not (ROOT / ".venv").exists():
        env.setdefault("UV_PYTHON", sys.executable)
    return env


def run(command: list[str], env: dict[str, str] | None = None) -> int:
    """Run ``command`` and return its exit code.

    Ctrl-C reaches the child from the terminal by itself, so here it is only waited out; a SIGTERM
    sent to this script alone is passed on.
    """
    child = subprocess.Popen(command, env=env)
    previous_int = signal.signal(signal.SIGINT, lambda *_: None)
    previous_term = signal.signal(signal.SIGTERM, lambda *_: child.send_signal(signal.SIGTERM))
    try:
        code = child.wait()
    finally:
        signal.signal(signal.SIGINT, previous_int)
        signal.signal(signal.SIGTERM, previous_term)
    return 128 - code if code < 0 else code  # killed by signal N: the shell's 128 + N


def say(message: str) -> None:
    print(f"run.py: {message}", file=sys.stderr, flush=True)


def fail(message: str, code: int = 1) -> int:
    say(message)
    return code or 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
