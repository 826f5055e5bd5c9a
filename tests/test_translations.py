"""Every user-visible string is marked for translation, and every marked one has its Danish and Swedish entry."""

from __future__ import annotations

import ast
import re
from html.parser import HTMLParser

import pytest

from ultrathon.translations.catalogs import PACKAGE_DIR, TRANSLATED, extract, gaps_in, read_catalog

TEMPLATES = PACKAGE_DIR / "platform" / "templates"
WORD = re.compile(r"[^\W\d_]{2,}")
# Words that read the same in every language: names and formats, not prose.
SAME_IN_EVERY_LANGUAGE = {"Ultrathon", "CSV", "JSON", "API", "UTC", "SHA", "ID", "OpenAPI", "URL", "YAML", "ZIP"}
SHOWN_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label", "aria-description", "aria-roledescription"}
JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)
TRANS_BLOCK = re.compile(r"\{%-?\s*trans\b.*?%\}.*?\{%-?\s*endtrans\s*-?%\}", re.S)
COMMENT = re.compile(r"\{#.*?#\}", re.S)


@pytest.fixture(scope="module")
def template_catalog():
    return extract()


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_marked_message_has_a_translation(template_catalog, language):
    gaps = gaps_in(template_catalog, read_catalog(language))
    assert not gaps, f"{len(gaps)} message(s) lack a {language} entry (python -m ultrathon.translations; fill them):\n" + \
        "\n".join(f"  {gap.why}: {gap.message!r}" for gap in gaps[:40])


def prose(text: str) -> bool:
    """Return whether text holds words a reader needs translated."""
    return any(word not in SAME_IN_EVERY_LANGUAGE for word in WORD.findall(text))


class _ShownText(HTMLParser):
    """Collect the text and the shown attributes of a template whose Jinja was blanked out."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            shown = name in SHOWN_ATTRIBUTES or (name == "value" and ("type", "submit") in attrs)
            if shown and value and prose(value):
                self.found.append(f"<{tag} {name}={value!r}>")

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and prose(data):
            self.found.append(" ".join(data.split()))


def unmarked_template_text(source: str, html: bool = True) -> list[str]:
    """Return the text a template shows without marking it for translation."""
    blanked = JINJA.sub(" ", TRANS_BLOCK.sub(" ", COMMENT.sub(" ", source)))
    if not html:
        return [" ".join(line.split()) for line in blanked.splitlines() if prose(line)]
    parser = _ShownText()
    parser.feed(blanked)
    return parser.found


@pytest.mark.parametrize("template", sorted(p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*.*")
                                            if p.suffix in (".html", ".txt")))
def test_template_text_is_marked(template):
    path = TEMPLATES / template
    found = unmarked_template_text(path.read_text(), html=path.suffix == ".html")
    assert not found, f"{template} shows text not marked for translation: {found[:15]}"


# Calls whose string arguments reach people: flashes, refusals, problems, the CLI's words.
SINKS = {
    "flash", "abort", "ApiProblem", "ApiError", "SubmissionRefused", "UploadRefused", "TeamError", "AccessError",
    "AccountError", "SuspensionError", "VerifyLinkError", "ResetLinkError", "UnsubscribeLinkError", "AttestationError", "CommitmentRefused",
    "PublicationRefused", "ChallengeInvalid", "LoadRefused", "ConfigError", "ClientConfigError", "CombinedHidden",
    "UnknownPhase", "UnknownSplit", "PhaseRemovalRefused", "ScoringError", "SubmissionError", "Problem",
    "ValidationError", "echo", "secho", "ClickException", "UsageError", "BadParameter", "fail", "prompt", "confirm",
}
SHOWN_KEYWORDS = {"title", "detail", "message", "description", "text", "help", "prompt"}
# Sinks of one part of the package only: the schema's validators and the folder checks speak to organisers through
# ValueError, and the folder commands print what they found.
AREA_SINKS = {"spec/": {"ValueError"}, "challenge_folder/": {"ValueError", "print"}}
# Click's declarations show only their help texts; their other arguments are names (--host, "create").
HELP_SINKS = {"option", "command", "group"}
MARKERS = {"_", "gettext", "ngettext", "lazy_gettext", "_l", "lazy_ngettext", "N_", "pgettext"}
PYTHON_FILES = sorted(p.relative_to(PACKAGE_DIR).as_posix() for p in PACKAGE_DIR.rglob("*.py")
                      if "translations" not in p.parts)


def _callee(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _literal_prose(node: ast.AST) -> str | None:
    """Return the English a node writes out unmarked: a literal, an f-string, a % or + of them."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value if prose(node.value) else None
    if isinstance(node, ast.JoinedStr):
        text = "".join(part.value for part in node.values if isinstance(part, ast.Constant))
        return text if prose(text) else None
    if isinstance(node, ast.BinOp):
        return _literal_prose(node.left) or _literal_prose(node.right)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("format", "join"):
        return _literal_prose(node.func.value)
    if isinstance(node, ast.IfExp):
        return _literal_prose(node.body) or _literal_prose(node.orelse)
    return None


def _shown_arguments(node: ast.Call, sinks: set[str]) -> list[ast.AST]:
    """Return the arguments of a call that people read, if the call is a sink."""
    if _callee(node) in sinks:
        return list(node.args) + [kw.value for kw in node.keywords if kw.arg in SHOWN_KEYWORDS]
    if _callee(node) in HELP_SINKS:
        return [kw.value for kw in node.keywords if kw.arg in ("help", "short_help")]
    return []


def _key_path_messages(tree: ast.AST) -> list[str]:
    """Return the cross checks' (key path, message) pairs whose message is English written out unmarked."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Tuple) and len(node.elts) == 2 and isinstance(node.elts[0], (ast.Tuple, ast.Name)):
            text = _literal_prose(node.elts[1])
            if text is not None:
                found.append(f"line {node.lineno}: ({ast.unparse(node.elts[0])[:30]}, {text[:60]!r})")
    return found


def _docstring_help(tree: ast.AST) -> list[str]:
    """Return the click commands whose help is their docstring: click shows it as written, in English."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef) or ast.get_docstring(node) is None:
            continue
        for decorator in node.decorator_list:
            if isinstance(decorator, ast.Call) and _callee(decorator) in ("command", "group") and \
                    not any(kw.arg == "help" for kw in decorator.keywords):
                found.append(f"line {node.lineno}: {node.name}'s docstring is its help")
    return found


def unmarked_python_messages(source: str, module: str = "") -> list[str]:
    """Return the English strings handed to a sink without passing through a translation function."""
    sinks = SINKS.union(*(extra for area, extra in AREA_SINKS.items() if module.startswith(area)))
    tree = ast.parse(source)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        for argument in _shown_arguments(node, sinks):
            text = _literal_prose(argument)
            if text is not None:
                found.append(f"line {argument.lineno}: {_callee(node)}({text[:60]!r})")
    if module.startswith("spec/"):
        found += _key_path_messages(tree)
    return found + _docstring_help(tree)


@pytest.mark.parametrize("module", PYTHON_FILES)
def test_python_messages_are_marked(module):
    found = unmarked_python_messages((PACKAGE_DIR / module).read_text(), module)
    assert not found, f"{module} shows messages not marked for translation: {found[:15]}"


def test_the_checks_catch_unmarked_text():
    assert unmarked_template_text('<p>{{ _("Marked") }}</p><p>Not marked</p><a title="Say hi">x</a>') == \
        ["Not marked", "<a title='Say hi'>"]
    assert unmarked_template_text("{% trans %}Fine text{% endtrans %} <b>{{ n }} CSV</b>") == []
    assert unmarked_python_messages('flash("Saved")\nflash(_("Saved"))\nraise TeamError(f"team {x} is full")') == \
        ["line 1: flash('Saved')", "line 3: TeamError('team  is full')"]


def test_the_checks_catch_unmarked_words_of_the_schema_and_the_cli():
    spec = 'raise ValueError(f"{v!r} is no e-mail")\nout.append((("a", "b"), "is listed twice"))\nx = (path, _("Fine"))'
    assert unmarked_python_messages(spec, "spec/access.py") == \
        ["line 1: ValueError(' is no e-mail')", "line 2: (('a', 'b'), 'is listed twice')"]
    assert unmarked_python_messages(spec, "scorers/ids.py") == []  # elsewhere a ValueError is a programmer's
    folder = 'print(f"{folder}: {count}")\nprint(f"no folders under {root}", file=out)'
    assert unmarked_python_messages(folder, "challenge_folder/commands.py") == ["line 2: print('no folders under ')"]
    cli = ('@group(help=N_("Manage tokens."))\ndef tokens():\n    """Manage tokens."""\n\n'
           '@click.command()\n@option("--name", help="A label.")\ndef make():\n    """Make one."""\n')
    assert unmarked_python_messages(cli) == ["line 6: option('A label.')", "line 7: make's docstring is its help"]
