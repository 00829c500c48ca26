"""Letter templates: lookup, the sandbox, and rendering with a time limit.

Lookup for a stage and language ``L``: the profile's ``templates/<stage>.<L>.md.j2``, then
``templates/<stage>.md.j2``, then each registered template pack's ``<stage>.<L>.md.j2``, then the
built-in ``<stage>.<L>.md.j2`` and finally the built-in English ``<stage>.en.md.j2``. A template
sets ``subject`` with ``{% set subject = "..." %}``.

Templates run in Jinja2's ``ImmutableSandboxedEnvironment`` with ``StrictUndefined``: no access
to internals (``__class__``, ``__globals__``), no mutation of the data (``invoices.pop()``), no
undefined name silently printing as empty. Every printed value goes through
:func:`collectctl.letters.blocks.literal`, so data never becomes structure. The sandbox protects
internals, not resources: :func:`render_template` stops a template that runs longer than
``time_limit`` seconds (default 5).
"""

from __future__ import annotations

import ctypes
import functools
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from collectctl.errors import CollectctlError

STAGES: tuple[str, ...] = ("courtesy", "reminder", "firm", "final", "pre-legal")
BUILTIN = "collectctl/templates/letters"
TIME_LIMIT = 5.0


@dataclass(frozen=True, slots=True)
class TemplatePack:
    """A plugin's templates: ``directory`` holds ``<stage>.<lang>.md.j2`` files."""

    name: str
    languages: tuple[str, ...]
    directory: Path
    help: str = ""


class TemplateError(CollectctlError):
    """A template that cannot be found, parsed or rendered."""


class RenderTimeout(TemplateError):
    """A template ran past the render time limit."""


@dataclass(frozen=True, slots=True)
class Found:
    """A located template: its text, where it came from, and the language it is written in."""

    name: str  # e.g. "profile:templates/reminder.de.md.j2"
    path: Path
    language: str


@functools.cache
def _builtin_dir() -> Path:
    from importlib.resources import files

    return Path(str(files("collectctl") / "templates" / "letters"))


def find_template(
    kind: str,
    language: str,
    *,
    profile_dir: Path | None,
    packs: Sequence[TemplatePack] = (),
) -> Found:
    """The template for ``kind`` (a stage) in ``language``, following the lookup order."""
    candidates: list[tuple[str, Path, str]] = []
    if profile_dir is not None:
        folder = profile_dir / "templates"
        candidates.append(
            (
                f"profile:templates/{kind}.{language}.md.j2",
                folder / f"{kind}.{language}.md.j2",
                language,
            )
        )
        candidates.append((f"profile:templates/{kind}.md.j2", folder / f"{kind}.md.j2", language))
    for pack in packs:
        candidates.append(
            (
                f"pack {pack.name}:{kind}.{language}.md.j2",
                pack.directory / f"{kind}.{language}.md.j2",
                language,
            )
        )
    builtin = _builtin_dir()
    candidates.append(
        (f"built-in:{kind}.{language}.md.j2", builtin / f"{kind}.{language}.md.j2", language)
    )
    candidates.append((f"built-in:{kind}.en.md.j2", builtin / f"{kind}.en.md.j2", "en"))
    for name, path, lang in candidates:
        if path.is_file():
            return Found(name, path, lang)
    raise TemplateError(f"no template for {kind!r} in {language!r}")


_ENV: list[Any] = []
_COMPILED: dict[str, Any] = {}


def environment() -> Any:
    """The sandboxed Jinja2 environment every letter template runs in (one per process)."""
    if _ENV:
        return _ENV[0]
    from jinja2 import StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    from collectctl.letters.blocks import literal, one_line

    env = ImmutableSandboxedEnvironment(
        undefined=StrictUndefined,
        autoescape=False,
        finalize=literal,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["oneline"] = one_line
    env.filters["cell"] = one_line  # the handover template's name for it
    _ENV.append(env)
    return env


def read_template(path: Path, name: str) -> str:
    """A template file's text; a file that cannot be read or is not UTF-8 is a
    :class:`TemplateError` naming the template (and the line of the first bad byte)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TemplateError(f"{name}: cannot be read: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise TemplateError(
            f"{name}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02x})",
            hint="Save the template as UTF-8.",
        ) from None


def _template_line(exc: BaseException, template: Any) -> int | None:
    """The template line a rendering error happened on: the innermost frame of the compiled
    template in the traceback, mapped back through jinja2's debug info."""
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = template.get_corresponding_lineno(tb.tb_lineno)
        tb = tb.tb_next
    return line


def _raise_in(thread: threading.Thread, exc: type[BaseException]) -> None:
    ident = thread.ident
    if ident is not None:
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), ctypes.py_object(exc))


def render_template(
    source: str, context: Mapping[str, Any], *, name: str, time_limit: float = TIME_LIMIT
) -> tuple[str, str | None]:
    """Render template text; returns (body, subject). Errors name the template."""
    from jinja2 import TemplateError as JinjaError
    from jinja2.exceptions import SecurityError

    env = environment()
    try:
        template = _COMPILED.get(source)
        if template is None:
            template = env.from_string(source)
            if len(_COMPILED) > 64:
                _COMPILED.clear()
            _COMPILED[source] = template
    except JinjaError as exc:
        line = getattr(exc, "lineno", None)
        raise TemplateError(f"{name}{f':{line}' if line else ''}: {exc}") from None
    result: dict[str, Any] = {}

    def work() -> None:
        try:
            module = template.make_module(dict(context))
            result["body"] = str(module)
            subject = getattr(module, "subject", None)
            result["subject"] = None if subject is None else str(subject)
        except BaseException as exc:  # re-raised in the caller's thread
            result["error"] = exc

    worker = threading.Thread(target=work, name=f"render {name}", daemon=True)
    worker.start()
    worker.join(time_limit)
    if worker.is_alive():
        _raise_in(worker, RenderTimeout)
        worker.join(2.0)
        raise RenderTimeout(
            f"{name}: rendering took longer than {time_limit:g} s and was stopped",
            hint="Look for a loop that never ends (or set [letters] render_time_limit).",
        )
    error = result.get("error")
    if isinstance(error, RenderTimeout):
        raise RenderTimeout(f"{name}: rendering took longer than {time_limit:g} s") from None
    if isinstance(error, SecurityError):
        raise TemplateError(f"{name}: refused by the template sandbox: {error}") from None
    if isinstance(error, Exception):
        at = _template_line(error, template)
        where = f"{name}:{at}" if at else name
        if isinstance(error, JinjaError):
            raise TemplateError(f"{where}: {error}") from None
        raise TemplateError(f"{where}: {type(error).__name__}: {error}") from None
    if error is not None:
        raise error
    return result["body"], result.get("subject")


def threatens_legal_action(path: Path) -> bool:
    """True when the template at ``path`` declares ``{% set threatens_legal_action = true %}``
    (such letters are blocked for time-barred consumer debts)."""
    import re

    declared = re.compile(r"{%-?\s*set\s+threatens_legal_action\s*=\s*(true|True)\s*-?%}")
    return bool(declared.search(read_template(path, path.name)))
