"""A machine made of shell scripts: a PATH holding only stand-ins for the tools a Makefile target
or the prerequisites check calls, each noting its calls, so that installing is tried without
installing anything."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MAKE = shutil.which("make") or "/usr/bin/make"


class FakeMachine:
    """`bin/` is the whole PATH; `calls` lists each stand-in's invocations as "name args"."""

    def __init__(self, root: Path, uid: int = 1000) -> None:
        self.bin = root / "bin"
        self.bin.mkdir(parents=True)
        self.log = root / "calls.log"
        self.log.touch()
        self.tool("id", f"echo {uid}")
        for real in ("env", "grep", "sleep"):  # plain utilities the recipes call
            found = shutil.which(real)
            assert found is not None, real
            (self.bin / real).symlink_to(found)

    def tool(self, name: str, body: str = "") -> None:
        """A stand-in `name` that notes its call (and whether it runs under sudo), then runs `body`."""
        script = self.bin / name
        script.write_text(
            f'#!/bin/sh\necho "{name}${{SUDO_USER:+ (sudo)}} $*" >> "{self.log}"\n{body}\n', encoding="utf-8"
        )
        script.chmod(0o755)

    def remove(self, name: str) -> None:
        (self.bin / name).unlink()

    def has(self, name: str) -> bool:
        return (self.bin / name).exists()

    def sudo(self) -> None:
        """sudo that runs the command as it is, marking it as run through sudo."""
        self.tool("sudo", 'SUDO_USER=tester exec "$@"')

    def apt(self, installs: dict[str, str]) -> None:
        """apt-get that, on `install`, puts the stand-in scripts `installs` (name: body) on PATH."""
        chmod = shutil.which("chmod") or "/bin/chmod"
        lines = "".join(
            f"    printf '%s\\n' '#!/bin/sh' '{body}' > {self.bin / name} && {chmod} 755 {self.bin / name}\n"
            for name, body in installs.items()
        )
        self.tool("apt-get", f'case "$*" in *" install "*)\n{lines}  ;;\nesac')

    @property
    def calls(self) -> list[str]:
        return self.log.read_text(encoding="utf-8").splitlines()

    def env(self) -> dict[str, str]:
        return {"PATH": str(self.bin), "HOME": os.environ.get("HOME", "/root"), "LANG": "C.UTF-8"}

    def make(self, *targets: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [MAKE, "--no-print-directory", "-C", str(REPO), *targets],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def run(self, *argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            list(argv), cwd=REPO, env=self.env(), capture_output=True, text=True, timeout=120, check=False
        )

    @staticmethod
    def dry_run(*targets: str) -> subprocess.CompletedProcess[str]:
        """The commands `make targets` would run on this machine if nothing were installed yet."""
        return subprocess.run(
            [MAKE, "--no-print-directory", "-n", "-B", "-C", str(REPO), *targets],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
