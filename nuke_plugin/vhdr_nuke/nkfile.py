"""A small reader of Nuke's ``.nk`` / ``.gizmo`` files (no Nuke needed): nodes, knobs, groups, stack.

The format is TCL: a script is a list of commands, one per line; words are separated by blanks;
``{...}`` is one word taken literally (braces nest), ``"..."`` one word with backslash escapes.
A node is ``Class {knob script}``; its knob script is again commands, ``name value`` each, and
``addUserKnob {TYPE name [l label] [T text] [M {items}] [+FLAG] ...}`` for user knobs.

Wiring uses a stack: every node pops its inputs (input 0 from the top) and is then pushed
(a ``Gizmo`` definition, the head of a ``.gizmo`` file, pops none: its ``inputs`` counts the
gizmo's Input nodes);
``push 0`` pushes a disconnected input, ``push $VAR`` a saved node, ``set VAR [stack 0]`` saves the
top. ``Group``/``Gizmo`` nodes open a child script that ``end_group`` closes. Errors are
``vs_vhdr.errors.UnreadableFileError`` naming the file and line.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from vs_vhdr.errors import UnreadableFileError as NkSyntaxError

GROUP_CLASSES = ("Group", "Gizmo")
DEFAULT_INPUTS = {
    "Input": 0,
    "Read": 0,
    "Constant": 0,
    "CheckerBoard2": 0,
    "ColorWheel": 0,
    "Root": 0,
    "BackdropNode": 0,
    "StickyNote": 0,
    "Merge2": 2,
    "Copy": 2,
    "Switch": 2,
    "ContactSheet": 2,
    "Dissolve": 2,
}
"""Inputs a node of each class pops when its knobs do not say (``inputs N``); others pop 1."""

_OPTION_WORDS = {"l": 1, "t": 1, "T": 1, "M": 1, "R": 2, "n": 1, "N": 1}
"""addUserKnob options and how many words follow each."""


@dataclass
class UserKnob:
    """One ``addUserKnob`` entry: Nuke's knob type id, name, label, flags and options."""

    type: int
    name: str
    label: str | None = None
    flags: tuple[str, ...] = ()
    options: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def text(self) -> str | None:
        """The ``T`` option: a PyScript knob's script, a Text knob's text."""
        value = self.options.get("T")
        return value[0] if value else None

    @property
    def items(self) -> list[str]:
        """The ``M`` option of an Enumeration knob, split into its items."""
        value = self.options.get("M")
        return split_words(value[0], "M") if value else []


@dataclass
class NkNode:
    """A node: class, knobs (text as written, outer braces removed), user knobs, wiring."""

    cls: str
    knobs: dict[str, str] = field(default_factory=dict)
    user_knobs: list[UserKnob] = field(default_factory=list)
    inputs: list[NkNode | None] = field(default_factory=list)
    children: list[NkNode] = field(default_factory=list)
    line: int = 0

    @property
    def name(self) -> str:
        """The ``name`` knob, or the class when there is none."""
        return self.knobs.get("name", self.cls)

    def child(self, name: str) -> NkNode:
        """The child node called ``name`` (groups and gizmos); KeyError if there is none."""
        for node in self.children:
            if node.name == name:
                return node
        raise KeyError(f"{self.name} has no child node {name!r}")

    def user_knob(self, name: str) -> UserKnob:
        """The user knob called ``name``; KeyError if there is none."""
        for knob in self.user_knobs:
            if knob.name == name:
                return knob
        raise KeyError(f"{self.name} has no user knob {name!r}")


@dataclass
class NkScript:
    """A parsed file: its ``version`` line and its top-level nodes (groups hold their children)."""

    version: str | None
    nodes: list[NkNode]


def read_nk(path: str | os.PathLike[str]) -> NkScript:
    """Parse the ``.nk`` or ``.gizmo`` file at ``path``."""
    with open(path, encoding="utf-8") as handle:
        return parse_nk(handle.read(), os.fspath(path))


def parse_nk(text: str, source: str = "<string>") -> NkScript:
    """Parse ``.nk`` text; ``source`` names it in error messages."""
    state = _State(source)
    for line, words in commands(text, source):
        state.command(line, words)
    if len(state.contexts) > 1:
        group = state.contexts[-1][0]
        name = group.name if group is not None else "?"
        raise NkSyntaxError(f"{source}: group {name} is not closed by end_group")
    return NkScript(state.version, state.contexts[0][1])


def commands(
    text: str, source: str = "<string>", first_line: int = 1
) -> list[tuple[int, list[str]]]:
    """Split TCL text into commands: ``(line number, words)``; braces removed from words."""
    result: list[tuple[int, list[str]]] = []
    words: list[str] = []
    i, line, start_line = 0, first_line, first_line
    while i < len(text):
        c = text[i]
        if c == "\n" or c == ";":
            if words:
                result.append((start_line, words))
                words = []
            line += c == "\n"
            i += 1
        elif c in " \t\r":
            i += 1
        elif c == "\\" and text.startswith("\\\n", i):
            line += 1
            i += 2
        elif c == "#" and not words:
            end = text.find("\n", i)
            i = len(text) if end < 0 else end
        else:
            if not words:
                start_line = line
            word, i, line = _word(text, i, line, source)
            words.append(word)
    if words:
        result.append((start_line, words))
    return result


def split_words(text: str, where: str = "") -> list[str]:
    """The words of one TCL list (e.g. an Enumeration knob's ``M {a b c}`` items)."""
    words: list[str] = []
    for _, command in commands(text, where):
        words.extend(command)
    return words


def expression(value: str) -> str | None:
    """The expression of an animated knob value written ``{expr}``, else None."""
    value = value.strip()
    if value.startswith("{") and value.endswith("}") and _matching(value, 0) == len(value) - 1:
        return value[1:-1].strip()
    return None


def _word(text: str, i: int, line: int, source: str) -> tuple[str, int, int]:
    """One word starting at ``i``: its text, the index after it, the line after it."""
    if text[i] == "{":
        end = _matching(text, i)
        if end < 0:
            raise NkSyntaxError(f"{source}:{line}: unbalanced '{{'")
        body = text[i + 1 : end]
        return body, end + 1, line + body.count("\n")
    if text[i] == '"':
        out: list[str] = []
        j = i + 1
        while j < len(text) and text[j] != '"':
            if text[j] == "\\" and j + 1 < len(text):
                nxt = text[j + 1]
                out.append({"n": "\n", "t": "\t"}.get(nxt, nxt))
                j += 2
                continue
            line += text[j] == "\n"
            out.append(text[j])
            j += 1
        if j >= len(text):
            raise NkSyntaxError(f"{source}:{line}: unterminated '\"'")
        return "".join(out), j + 1, line
    j = i
    depth = 0
    while j < len(text) and (depth > 0 or text[j] not in " \t\r\n;"):
        if text[j] == "\\" and j + 1 < len(text):
            j += 2
            continue
        if text[j] == "[":
            depth += 1
        elif text[j] == "]" and depth:
            depth -= 1
        elif text[j] == "}" and depth == 0:
            raise NkSyntaxError(f"{source}:{line}: unexpected '}}'")
        j += 1
    return text[i:j], j, line


def _matching(text: str, i: int) -> int:
    """Index of the brace closing the one at ``i`` (backslash-escaped braces skipped), or -1."""
    depth = 0
    j = i
    while j < len(text):
        c = text[j]
        if c == "\\":
            j += 2
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return j
        j += 1
    return -1


class _State:
    """The parser's stacks: one ``(group, nodes, stack)`` context per open group."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.version: str | None = None
        self.contexts: list[tuple[NkNode | None, list[NkNode], list[NkNode | None]]] = [
            (None, [], [])
        ]
        self.variables: dict[str, NkNode | None] = {}

    def command(self, line: int, words: list[str]) -> None:
        where = f"{self.source}:{line}"
        group, nodes, stack = self.contexts[-1]
        head = words[0]
        if head == "version":
            self.version = " ".join(words[1:])
        elif head == "push":
            self._push(words, stack, where)
        elif head == "set":
            if len(words) != 3 or words[2] != "[stack 0]" or not stack:
                raise NkSyntaxError(
                    f"{where}: expected 'set NAME [stack 0]' with a node on the stack"
                )
            self.variables[words[1]] = stack[-1]
        elif head == "end_group":
            if group is None:
                raise NkSyntaxError(f"{where}: end_group without an open group")
            self.contexts.pop()
            self.contexts[-1][2].append(group)
        elif head in ("define_window_layout_xml", "clone"):
            raise NkSyntaxError(f"{where}: {head} is not supported by this reader")
        elif len(words) == 2 and head[:1].isalpha():
            self._node(line, head, words[1], nodes, stack, where)
        else:
            raise NkSyntaxError(
                f"{where}: expected a node 'Class {{...}}', got {' '.join(words)[:60]!r}"
            )

    def _push(self, words: list[str], stack: list[NkNode | None], where: str) -> None:
        if len(words) != 2:
            raise NkSyntaxError(f"{where}: expected 'push 0' or 'push $NAME'")
        if words[1] == "0":
            stack.append(None)
        elif words[1].startswith("$") and words[1][1:] in self.variables:
            stack.append(self.variables[words[1][1:]])
        else:
            raise NkSyntaxError(f"{where}: push of unknown variable {words[1]!r}")

    def _node(
        self,
        line: int,
        cls: str,
        body: str,
        nodes: list[NkNode],
        stack: list[NkNode | None],
        where: str,
    ) -> None:
        node = NkNode(cls, line=line)
        for knob_line, words in commands(body, self.source, line):
            if words[0] == "addUserKnob":
                node.user_knobs.append(_user_knob(words, f"{self.source}:{knob_line}"))
            else:
                node.knobs[words[0]] = " ".join(words[1:])
        count = 0 if cls == "Gizmo" else _input_count(node, f"{self.source}:{line}")
        if cls == "Root":
            nodes.append(node)
            return
        if count > len(stack):
            raise NkSyntaxError(
                f"{where}: {cls} {node.name} takes {count} input(s) but the stack holds {len(stack)}"
            )
        node.inputs = [stack.pop() for _ in range(count)]
        nodes.append(node)
        if cls in GROUP_CLASSES:
            self.contexts.append((node, node.children, []))
        else:
            stack.append(node)


def _input_count(node: NkNode, where: str) -> int:
    text = node.knobs.get("inputs")
    if text is None:
        return DEFAULT_INPUTS.get(node.cls, 1)
    try:
        return sum(int(part) for part in text.split("+"))
    except ValueError:
        raise NkSyntaxError(f"{where}: inputs {text!r}; expected N or N+M") from None


def _user_knob(words: list[str], where: str) -> UserKnob:
    if len(words) != 2:
        raise NkSyntaxError(f"{where}: expected 'addUserKnob {{TYPE name ...}}'")
    parts = split_words(words[1], where)
    if len(parts) < 2 or not parts[0].isdigit():
        raise NkSyntaxError(f"{where}: addUserKnob {{{words[1][:40]}}}; expected TYPE name ...")
    knob = UserKnob(int(parts[0]), parts[1])
    flags: list[str] = []
    i = 2
    while i < len(parts):
        word = parts[i]
        if word[:1] in "+-" and len(word) > 1:
            flags.append(word)
            i += 1
            continue
        count = _OPTION_WORDS.get(word, 1)
        values = tuple(parts[i + 1 : i + 1 + count])
        if len(values) != count:
            raise NkSyntaxError(
                f"{where}: addUserKnob option {word!r} of {knob.name} lacks a value"
            )
        if word == "l":
            knob.label = values[0]
        else:
            knob.options[word] = values
        i += 1 + count
    knob.flags = tuple(flags)
    return knob
