"""Every setting the services read from the environment is in the README's settings table, and
the secrets among them are secret strings, revealed only where they are used."""

from __future__ import annotations

import importlib
import re
import types
import typing

import pytest
from pydantic import SecretStr
from pydantic_settings import BaseSettings
from vouchers_shared.settings import CommonSettings

from tests.deploy.conftest import REPO, SERVICES

# The token-signing key has a type of its own (see vouchers_shared.settings).
SECRET_NAME = re.compile(r"(password|secret|token)$")
NOT_A_SECRET_STRING = frozenset({"vouchers_token_key"})


def settings_classes() -> list[type[BaseSettings]]:
    return [CommonSettings, *(importlib.import_module(f"{s}.config").Settings for s in SERVICES)]


def environment_names() -> set[str]:
    """What each field is read from: its name in capitals (no prefix, no alias)."""
    names = set()
    for cls in settings_classes():
        assert not cls.model_config.get("env_prefix")
        for name, field in cls.model_fields.items():
            assert (field.alias, field.validation_alias) == (None, None), name
            names.add(name.upper())
    return names


def documented() -> set[str]:
    """The settings the README's table names in its first column."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = readme.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|")[1] for line in table.splitlines() if line.startswith("| `")]
    return {name for cell in rows for name in re.findall(r"`([A-Z][A-Z0-9_]*)`", cell)}


def test_every_setting_is_in_the_readme() -> None:
    missing = sorted(environment_names() - documented())
    assert not missing, f"settings the README does not list: {missing}"


def test_the_readme_lists_no_setting_that_is_not_read() -> None:
    assert not sorted(documented() - environment_names())


def kinds(annotation: object) -> tuple[object, ...]:
    return typing.get_args(annotation) if isinstance(annotation, types.UnionType) else (annotation,)


def secret_fields() -> list[tuple[str, str, object]]:
    """Text settings named as a password, a secret or a token (not a count per token)."""
    return [
        (cls.__module__, name, field.annotation)
        for cls in settings_classes()
        for name, field in cls.model_fields.items()
        if SECRET_NAME.search(name)
        and name not in NOT_A_SECRET_STRING
        and set(kinds(field.annotation)) & {str, SecretStr}
    ]


def test_there_are_secrets_to_check() -> None:
    names = {name for _, name, _ in secret_fields()}
    assert {"kafka_sasl_password", "smtp_password", "letter_webhook_secret", "cpa_platform_token"} <= names


@pytest.mark.parametrize(("module", "name", "annotation"), secret_fields())
def test_every_secret_is_a_secret_string(module: str, name: str, annotation: object) -> None:
    assert set(kinds(annotation)) <= {SecretStr, type(None)}, f"{module}: {name} is {annotation}"
