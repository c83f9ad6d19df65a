"""Program parameters as data: one YAML file per program year, each value with its clause."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from vouchers_shared.clock import SHANGHAI
from vouchers_shared.types import MONEY_PATTERN, PCT_PATTERN

DEFAULT_PROGRAM_YEAR = 2026
_ENTRY_KEYS = frozenset({"value", "clause", "text", "assumed"})
_MONEY_RE = re.compile(MONEY_PATTERN)
_DECIMAL_RE = re.compile(PCT_PATTERN)
VoucherRounding = Literal["down to 0.01 on the application total"]
"""How a computed voucher is rounded: the sum of amount × rate, once per application."""
_ROUNDING: VoucherRounding = "down to 0.01 on the application total"


class ProgramFileError(ValueError):
    """A parameters file that cannot be used; names the file and the key at fault."""

    def __init__(self, file: str, key: str | None, problem: str) -> None:
        self.file, self.key, self.problem = file, key, problem
        where = f"{file}: {key}" if key else file
        super().__init__(f"{where}: {problem}")


class DateWindow(BaseModel):
    """A run of calendar days, both ends included."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    opens: date
    closes: date

    @model_validator(mode="after")
    def _in_order(self) -> DateWindow:
        if self.closes < self.opens:
            raise ValueError(f"the window closes on {self.closes} before it opens on {self.opens}")
        return self

    def contains(self, d: date) -> bool:
        """Whether the day lies in the window, both ends included."""
        return self.opens <= d <= self.closes


class ParamSource(BaseModel):
    """Where a parameter comes from: the guide's clause and its words (or a stated assumption)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    clause: str
    text: str
    assumed: bool = False


class ProgramParams(BaseModel):
    """The parameters of one program year, typed, immutable, each citing its clause."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    program_year: int
    min_annual_spend_cny: Decimal
    standard_rate: Decimal
    young_enterprise_rate: Decimal
    young_enterprise_max_age_years: int
    guide_published_on: date
    annual_cap_cny: Decimal
    voucher_rounding: VoucherRounding
    other_funding_max_ratio: Decimal
    provider_batch_windows: dict[int, DateWindow]
    filing_opens_at: datetime
    filing_closes_at: datetime
    processing_limit_working_days: int
    processing_warning_working_days: int
    public_notice_working_days: int
    related_party_threshold_pct: Decimal
    related_party_max_hops: int
    shenzhen_districts: tuple[str, ...]
    audit_fiscal_years: tuple[int, ...]
    sources: dict[str, ParamSource]
    source_file: str

    def clause(self, name: str) -> str:
        """The guide clause a parameter comes from, for findings to cite."""
        try:
            return self.sources[name].clause
        except KeyError:
            raise KeyError(f"no program parameter named {name!r}") from None

    def filing_window_contains(self, instant: datetime) -> bool:
        """Whether an instant lies in the filing window, both ends included."""
        if instant.tzinfo is None:
            raise ValueError("a filing instant must be timezone-aware")
        return self.filing_opens_at <= instant <= self.filing_closes_at


# Converters take a raw YAML value and raise ValueError on a bad one.


def _decimal(rx: re.Pattern[str], high: str, example: str) -> Callable[[Any], Decimal]:
    def convert(v: Any) -> Decimal:
        if isinstance(v, int | float):
            raise ValueError(f"{v!r} is a YAML number; write it as a quoted string, e.g. {example}")
        if not isinstance(v, str) or not rx.match(v) or not 0 < Decimal(v) <= Decimal(high):
            raise ValueError(f"{v!r} must be a quoted decimal above 0 up to {high}, e.g. {example}")
        return Decimal(v)

    return convert


def _whole(low: int, high: int) -> Callable[[Any], int]:
    def convert(v: Any) -> int:
        if isinstance(v, bool) or not isinstance(v, int) or not low <= v <= high:
            raise ValueError(f"{v!r} must be a whole number from {low} to {high}")
        return v

    return convert


_money = _decimal(_MONEY_RE, "9999999999999.99", '"500000.00"')
_ratio = _decimal(_DECIMAL_RE, "1", '"0.50"')
_pct = _decimal(_DECIMAL_RE, "100", '"20"')
_count = _whole(1, 10_000)
_year = _whole(2000, 2100)


def _date(v: Any) -> date:
    if not isinstance(v, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
        raise ValueError(f"must be a date written YYYY-MM-DD, got {v!r}")
    try:
        return date.fromisoformat(v)
    except ValueError as exc:
        raise ValueError(f"{v!r} is not a calendar date ({exc})") from None


def _instant(v: Any) -> datetime:
    if not isinstance(v, str):
        raise ValueError("must be an ISO-8601 instant with its UTC offset, in quotes")
    try:
        at = datetime.fromisoformat(v)
    except ValueError:
        raise ValueError(f"{v!r} is not an ISO-8601 instant") from None
    if at.tzinfo is None:
        raise ValueError(f"{v!r} has no UTC offset; write e.g. 2026-05-06T00:00:00+08:00")
    return at.astimezone(SHANGHAI)


def _rounding(v: Any) -> VoucherRounding:
    if v != _ROUNDING:
        raise ValueError(f"{v!r} is not a rounding the rule book applies; write {_ROUNDING!r}")
    return _ROUNDING


def _windows(v: Any) -> dict[int, DateWindow]:
    if not isinstance(v, dict) or not v:
        raise ValueError("must map each provider batch number to {opens, closes}")
    return {_count(batch): _window(batch, w) for batch, w in v.items()}


def _window(batch: Any, w: Any) -> DateWindow:
    if not isinstance(w, dict) or set(w) != {"opens", "closes"}:
        raise ValueError(f"batch {batch} must have exactly the keys opens and closes")
    try:
        return DateWindow(opens=_date(w["opens"]), closes=_date(w["closes"]))
    except ValidationError as exc:
        raise ValueError(f"batch {batch}: {exc.errors()[0]['msg']}") from None


def _names(v: Any) -> tuple[str, ...]:
    if not isinstance(v, list) or not v or not all(isinstance(s, str) and s for s in v):
        raise ValueError("must be a non-empty list of names")
    if len(set(v)) != len(v):
        raise ValueError("lists a name twice")
    return tuple(v)


def _years(v: Any) -> tuple[int, ...]:
    if not isinstance(v, list) or not v:
        raise ValueError("must be a non-empty list of years")
    return tuple(_year(y) for y in v)


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "program_year": _year,
    "min_annual_spend_cny": _money,
    "standard_rate": _ratio,
    "young_enterprise_rate": _ratio,
    "young_enterprise_max_age_years": _count,
    "guide_published_on": _date,
    "annual_cap_cny": _money,
    "voucher_rounding": _rounding,
    "other_funding_max_ratio": _ratio,
    "provider_batch_windows": _windows,
    "filing_opens_at": _instant,
    "filing_closes_at": _instant,
    "processing_limit_working_days": _count,
    "processing_warning_working_days": _count,
    "public_notice_working_days": _count,
    "related_party_threshold_pct": _pct,
    "related_party_max_hops": _count,
    "shenzhen_districts": _names,
    "audit_fiscal_years": _years,
}
PARAMETER_NAMES = tuple(_CONVERTERS)


class _Loader(yaml.SafeLoader):
    """Safe YAML that leaves dates as text (parsed per key) and refuses duplicate keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        keys = [self.construct_object(k, deep=True) for k, _ in node.value]
        dupes = sorted({str(k) for k in keys if keys.count(k) > 1})
        if dupes:
            raise yaml.constructor.ConstructorError(
                None, None, f"key given twice: {', '.join(dupes)}", node.start_mark
            )
        return super().construct_mapping(node, deep=deep)


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def packaged_years() -> tuple[int, ...]:
    """The program years whose parameters ship with this package."""
    folder = resources.files("vouchers_shared").joinpath("programs")
    names = (p.name for p in folder.iterdir() if p.name.endswith(".yaml"))
    return tuple(sorted(int(n[:-5]) for n in names if n[:-5].isdigit()))


def load_program(selector: str | int | None = None) -> ProgramParams:
    """Load the parameters named by VOUCHER_PROGRAM: a year (packaged file) or a YAML path."""
    if selector is None or isinstance(selector, int) or str(selector).strip().isdigit():
        year = DEFAULT_PROGRAM_YEAR if selector is None else int(str(selector).strip())
        name = f"programs/{year}.yaml"
        resource = resources.files("vouchers_shared").joinpath("programs", f"{year}.yaml")
        if not resource.is_file():
            raise ProgramFileError(
                name, None, f"no parameters packaged for year {year}; have {packaged_years()}"
            )
        params = parse_program(resource.read_text(encoding="utf-8"), name)
        if params.program_year != year:
            raise ProgramFileError(name, "program_year", f"is {params.program_year}, not {year}")
        return params
    path = Path(selector)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProgramFileError(str(path), None, f"cannot be read: {exc.strerror}") from exc
    return parse_program(text, str(path))


def parse_program(text: str, file: str) -> ProgramParams:
    """Validate a parameters document; `file` names it in every error."""
    try:
        doc = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except yaml.YAMLError as exc:
        raise ProgramFileError(file, None, f"is not valid YAML: {exc}") from exc
    if not isinstance(doc, dict):
        raise ProgramFileError(file, None, "must be a mapping of parameter names to entries")
    for key in doc:
        if key not in _CONVERTERS:
            raise ProgramFileError(file, str(key), "unknown parameter")
    for key in _CONVERTERS:
        if key not in doc:
            raise ProgramFileError(file, key, "missing parameter")
    values: dict[str, Any] = {}
    sources: dict[str, ParamSource] = {}
    for key, convert in _CONVERTERS.items():
        sources[key] = _source(file, key, doc[key])
        try:
            values[key] = convert(doc[key]["value"])
        except ValueError as exc:
            raise ProgramFileError(file, key, str(exc)) from exc
    _check_consistency(file, values)
    return ProgramParams(**values, sources=sources, source_file=file)


def _source(file: str, key: str, entry: Any) -> ParamSource:
    if not isinstance(entry, dict):
        raise ProgramFileError(file, key, "must be a mapping with value, clause and text")
    unknown = sorted(str(k) for k in set(entry) - _ENTRY_KEYS)
    if unknown:
        raise ProgramFileError(file, f"{key}.{unknown[0]}", "unknown entry key")
    for field in ("value", "clause", "text"):
        if field not in entry:
            raise ProgramFileError(file, f"{key}.{field}", "missing")
    for field in ("clause", "text"):
        if not isinstance(entry[field], str) or not entry[field].strip():
            raise ProgramFileError(file, f"{key}.{field}", "must be a non-empty string")
    assumed = entry.get("assumed", False)
    if not isinstance(assumed, bool):
        raise ProgramFileError(file, f"{key}.assumed", "must be true or false")
    return ParamSource(clause=entry["clause"].strip(), text=entry["text"].strip(), assumed=assumed)


def _check_consistency(file: str, v: Mapping[str, Any]) -> None:
    if v["filing_closes_at"] <= v["filing_opens_at"]:
        raise ProgramFileError(file, "filing_closes_at", "is not after filing_opens_at")
    if v["processing_warning_working_days"] >= v["processing_limit_working_days"]:
        raise ProgramFileError(
            file, "processing_warning_working_days", "must be below processing_limit_working_days"
        )
