"""Click's commands, groups and options with help texts translated when shown, and a CLI that speaks its reader's language."""

from __future__ import annotations

import click
from flask.cli import AppGroup, FlaskGroup

from ultrathon.i18n import gettext, language_from_environment, speaking


class TranslatedHelp:
    """A click object whose help is a marked message (N_), translated each time it is shown."""

    _help: str | None = None

    @property
    def help(self) -> str | None:
        """Return the help text in the current language."""
        return gettext(self._help) if self._help else self._help

    @help.setter
    def help(self, text: str | None) -> None:
        self._help = text


class Command(TranslatedHelp, click.Command):
    """A command whose help text is translated when shown."""


class Option(TranslatedHelp, click.Option):
    """An option whose help text is translated when shown."""


class Group(TranslatedHelp, AppGroup):
    """A group of commands, with the app's context as Flask's own, whose help texts are translated when shown."""

    command_class = Command


class SpeakingGroup(TranslatedHelp, FlaskGroup):
    """The `ultrathon` group: every message of a run is written in the language its environment asks for."""

    command_class = Command

    def main(self, *args, **kwargs):
        """Run the command line in the language of ULTRATHON_LANG, LANGUAGE, LC_ALL, LC_MESSAGES or LANG."""
        # Around main, not the command: --help and click's error reports are written inside it too.
        with speaking(language_from_environment()):
            return super().main(*args, **kwargs)


def option(*names: str, **attrs):
    """Return click.option for an option whose help text is translated when shown."""
    return click.option(*names, cls=Option, **attrs)


def command(**attrs):
    """Return click.command for a command whose help text is translated when shown."""
    return click.command(cls=Command, **attrs)


def group(**attrs):
    """Return click.group for a group whose help texts are translated when shown."""
    return click.group(cls=Group, **attrs)
