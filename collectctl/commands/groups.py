"""How options travel through the command tree.

Two rules, applied to every group — core or plugin-contributed — so no option is ever dropped:

* An option a group shows in its ``--help`` reaches the subcommand wherever the user puts it:
  ``collectctl sync --dry-run csv DIR`` is ``collectctl sync csv DIR --dry-run``. A group option
  the subcommand does not take is a usage error (exit 2) before anything runs, and the same option
  given on both sides with different values is a usage error too.
* The global options (``--profile/-p``, ``--debug``) work before the command or after it:
  ``collectctl aging --profile acme`` is ``collectctl --profile acme aging``.

Groups get this behaviour from :class:`PassDownGroup`; a plugin's plain ``click.Group`` is
converted when the root resolves it (:func:`adopt`), and every command it resolves gets the
global options.
"""

from __future__ import annotations

import sys
from typing import Any

import click
from click.core import ParameterSource

#: Options of the root group that every command accepts too (handled by the root, never
#: passed down as values).
GLOBAL_OPTION_NAMES = frozenset({"profile", "debug"})

_META_PROFILE = "collectctl.profile"
_ADOPTED = "_collectctl_adopted"


def enable_debug_logging() -> None:
    """Log collectctl's own loggers (``collectctl.*``) to stderr.

    Only collectctl's loggers: libraries such as urllib3 would log full request URLs.
    """
    import logging

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    logger = logging.getLogger("collectctl")
    logger.setLevel(logging.DEBUG)
    logger.handlers = [handler]


def remember_profile(ctx: click.Context, name: str | None) -> None:
    """Note a ``--profile`` given on the command line, to catch a contradicting second one
    (an empty one is a usage error: ``COLLECTCTL_PROFILE=""`` is as good as unset, but a
    typed ``--profile ''`` is a mistake, not the default profile)."""
    if name is not None and ctx.get_parameter_source("profile") is ParameterSource.COMMANDLINE:
        _not_empty(name)
        ctx.meta[_META_PROFILE] = name


def _not_empty(name: str) -> None:
    if not name.strip():
        raise click.BadParameter(
            "a profile name cannot be empty (leave the option out for 'default')",
            param_hint="'--profile'",
        )


def profile_given(ctx: click.Context) -> bool:
    """True when ``--profile`` was typed on the command line (before or after the command)."""
    return ctx.meta.get(_META_PROFILE) is not None


def _profile_given(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is None:
        return
    if ctx.resilient_parsing:  # shell completion: remember it for the completion callbacks
        ctx.meta["collectctl.completing_profile"] = value
        return
    _not_empty(value)
    earlier = ctx.meta.get(_META_PROFILE)
    if earlier is not None and earlier != value:
        raise click.UsageError(
            f"--profile given twice with different values ({earlier!r} and {value!r}); "
            "give it once.",
            ctx,
        )
    ctx.meta[_META_PROFILE] = value
    from collectctl.app import App

    app = ctx.find_object(App)
    if app is not None:
        app.select_profile(value)


def _debug_given(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from collectctl.app import App

    app = ctx.find_object(App)
    if app is not None and not app.debug:
        app.debug = True
        enable_debug_logging()


def complete_profile_option(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[Any]:
    """Complete ``--profile`` (the completion module is imported only when completing)."""
    from collectctl.commands.completion import complete_profiles

    return complete_profiles(ctx, param, incomplete)


def global_params() -> list[click.Option]:
    """Fresh copies of the global options for one command (eager: applied before the others)."""
    return [
        click.Option(
            ["--profile", "-p"],
            metavar="NAME",
            expose_value=False,
            is_eager=True,
            callback=_profile_given,
            shell_complete=complete_profile_option,
            help="Which set of books to use (global option; also before the command).",
        ),
        click.Option(
            ["--debug"],
            is_flag=True,
            expose_value=False,
            is_eager=True,
            callback=_debug_given,
            help="Show tracebacks and log requests on stderr (global option).",
        ),
    ]


def adopt(command: click.Command) -> click.Command:
    """Give ``command`` the global options and, if it is a group, :class:`PassDownGroup` rules.

    Idempotent. An option of the command's own with the same name or flag keeps its meaning.
    """
    if getattr(command, _ADOPTED, False):
        return command
    taken = {p.name for p in command.params} | {
        opt for p in command.params for opt in getattr(p, "opts", [])
    }
    for param in global_params():
        if param.name not in taken and not taken.intersection(param.opts):
            command.params.append(param)
    if isinstance(command, click.Group) and not isinstance(command, PassDownGroup):
        command.__class__ = _passdown_class(type(command))
    setattr(command, _ADOPTED, True)
    return command


def with_examples(ctx: click.Context, name: str, command: click.Command) -> click.Command:
    """Attach the "Examples:" block of ``command`` (see :mod:`collectctl.commands.examples`)."""
    if command.epilog:
        return command
    names = [name]
    node: click.Context | None = ctx
    while node is not None and node.parent is not None:
        names.append(node.info_name or "")
        node = node.parent
    from collectctl.commands.examples import epilog

    command.epilog = epilog(" ".join(reversed(names)))
    return command


_CLASSES: dict[type, type] = {}


def _passdown_class(cls: type[click.Group]) -> type[click.Group]:
    if cls is click.Group:
        return PassDownGroup
    if cls not in _CLASSES:
        _CLASSES[cls] = type(f"PassDown{cls.__name__}", (PassDownGroup, cls), {})
    return _CLASSES[cls]


def _given_options(ctx: click.Context) -> list[tuple[click.Option, Any]]:
    """The group's own options the user typed (the global ones excepted)."""
    given = []
    for param in ctx.command.params:
        if (
            isinstance(param, click.Option)
            and param.expose_value
            and param.name
            and param.name not in GLOBAL_OPTION_NAMES
            and ctx.get_parameter_source(param.name) is ParameterSource.COMMANDLINE
        ):
            given.append((param, ctx.params[param.name]))
    return given


def _target(command: click.Command, name: str) -> click.Option | None:
    for param in command.params:
        if isinstance(param, click.Option) and param.name == name and param.expose_value:
            return param
    return None


def _refuse_unknown(
    ctx: click.Context, name: str, command: click.Command, given: list[tuple[click.Option, Any]]
) -> None:
    for option, _ in given:
        if _target(command, option.name or "") is None:
            path = f"{ctx.command_path} {name}"
            raise click.UsageError(
                f"option {option.opts[0]} of '{ctx.command_path}' does not apply to '{path}'; "
                f"see '{path} --help'.",
                ctx,
            )


def _pass_down(sub_ctx: click.Context, name: str, given: list[tuple[click.Option, Any]]) -> None:
    for option, value in given:
        key = option.name or ""
        if sub_ctx.get_parameter_source(key) is ParameterSource.COMMANDLINE:
            if sub_ctx.params.get(key) != value:
                raise click.UsageError(
                    f"{option.opts[0]} given before and after '{name}' with different values "
                    f"({value!r} and {sub_ctx.params.get(key)!r}); give it once.",
                    sub_ctx,
                )
            continue
        sub_ctx.params[key] = value
        sub_ctx.set_parameter_source(key, ParameterSource.COMMANDLINE)


class PassDownGroup(click.Group):
    """A group whose options reach its subcommand (or are refused), and whose subcommands take
    the global options."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        return with_examples(ctx, cmd_name, adopt(command)) if command is not None else None

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as exc:
            name = args[0] if args else ""
            if not name or name.startswith("-") or self.get_command(ctx, name) is not None:
                raise
            import difflib

            close = difflib.get_close_matches(name, self.list_commands(ctx), n=3, cutoff=0.6)
            if not close:
                raise
            raise click.UsageError(
                f"No such command {name!r}. Did you mean {' or '.join(map(repr, close))}?", ctx
            ) from exc

    def invoke(self, ctx: click.Context) -> Any:
        if self.chain or not ctx._protected_args:
            return super().invoke(ctx)
        # click.Group.invoke for one subcommand, with the group's options carried over.
        args = [*ctx._protected_args, *ctx.args]
        ctx.args = []
        ctx._protected_args = []
        with ctx:
            cmd_name, cmd, args = self.resolve_command(ctx, args)
            assert cmd is not None
            assert cmd_name is not None
            given = _given_options(ctx)
            _refuse_unknown(ctx, cmd_name, cmd, given)
            ctx.invoked_subcommand = cmd_name
            click.Command.invoke(self, ctx)
            sub_ctx = cmd.make_context(cmd_name, args, parent=ctx)
            with sub_ctx:
                _pass_down(sub_ctx, cmd_name, given)
                value = sub_ctx.command.invoke(sub_ctx)
                if self._result_callback is not None:
                    value = ctx.invoke(self._result_callback, value, **ctx.params)
                return value
