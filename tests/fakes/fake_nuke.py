"""A FAKE of Foundry's ``nuke`` Python module, for tests only. It is NOT Nuke and proves nothing
about Nuke itself; it checks what vhdr's Nuke-facing code asks of Nuke.

The tests put it in ``sys.modules["nuke"]``. It records every call in ``calls``; builds a gizmo
node from the real ``.gizmo`` file found on the plugin path (its user knobs with their defaults
and its inner nodes, read with ``vhdr_nuke.nkfile``); raises ``NameError`` for a knob a node
does not have, as Nuke does; refuses any node or knob access from a thread other than the main
one (Nuke crashes then); queues ``executeInMainThread`` calls until ``run_main_thread_queue``;
and "renders" in ``execute`` by calling the ``renderer`` a test installs.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable
from typing import Any

from vhdr_nuke.nkfile import NkNode, read_nk

STRING, FILE, INT, ENUM, BOOL, TAB, PYSCRIPT, TEXT = 1, 2, 3, 4, 6, 20, 22, 26

calls: list[tuple[Any, ...]] = []
main_thread_queue: list[tuple[Callable[..., Any], tuple[Any, ...]]] = []
plugin_paths: list[str] = []
menus: dict[str, Menu] = {}
env: dict[str, Any] = {"gui": False}
renderer: Callable[[Node, int, int], None] | None = None
current: dict[str, Any] = {"node": None, "knob": None}
created: list[Node] = []


def reset() -> None:
    """Forget everything recorded (call before each test)."""
    global renderer
    calls.clear()
    main_thread_queue.clear()
    plugin_paths.clear()
    menus.clear()
    created.clear()
    env["gui"] = False
    renderer = None
    current.update(node=None, knob=None)


def _check_thread(what: str) -> None:
    if threading.current_thread() is not threading.main_thread():
        raise RuntimeError(f"fake nuke: {what} from a worker thread (Nuke would crash)")


class Knob:
    """A knob: a value, and the expression it may have."""

    def __init__(self, node: Node, name: str, value: Any, expression: str | None = None) -> None:
        self._node = node
        self._name = name
        self._value = value
        self.expression = expression

    def name(self) -> str:
        return self._name

    def value(self) -> Any:
        _check_thread(f"{self._node.name()}.{self._name}.value()")
        return self._value

    getValue = value

    def setValue(self, value: Any) -> bool:
        _check_thread(f"{self._node.name()}.{self._name}.setValue()")
        calls.append(("setValue", self._node.name(), self._name, value))
        self._value = value
        return True

    def setExpression(self, expression: str) -> bool:
        _check_thread(f"{self._node.name()}.{self._name}.setExpression()")
        calls.append(("setExpression", self._node.name(), self._name, expression))
        self.expression = expression
        return True


class Node:
    """A node with knobs and inputs."""

    def __init__(self, cls: str, name: str, parent: Group | None = None) -> None:
        self._cls = cls
        self._knobs: dict[str, Knob] = {"name": Knob(self, "name", name)}
        self._inputs: dict[int, Node | None] = {}
        self.parent = parent

    def Class(self) -> str:
        return self._cls

    def name(self) -> str:
        return str(self._knobs["name"]._value)

    def knob(self, name: str) -> Knob | None:
        _check_thread(f"{self.name()}.knob({name!r})")
        return self._knobs.get(name)

    def knobs(self) -> dict[str, Knob]:
        return dict(self._knobs)

    def __getitem__(self, name: str) -> Knob:
        knob = self.knob(name)
        if knob is None:
            raise NameError(f"knob {name} does not exist")
        return knob

    def add_knob(self, name: str, value: Any, expression: str | None = None) -> Knob:
        knob = self._knobs[name] = Knob(self, name, value, expression)
        return knob

    def input(self, index: int) -> Node | None:
        _check_thread(f"{self.name()}.input()")
        return self._inputs.get(index)

    def setInput(self, index: int, node: Node | None) -> bool:
        _check_thread(f"{self.name()}.setInput()")
        self._inputs[index] = node
        return True

    def firstFrame(self) -> int:
        return int(self["first"].value())

    def lastFrame(self) -> int:
        return int(self["last"].value())

    def evaluate_text(self, name: str) -> str:
        """A text knob's value with ``[value parent.KNOB]`` replaced as Nuke's TCL would."""

        def lookup(match: re.Match[str]) -> str:
            assert self.parent is not None, f"{self.name()} is not inside a group"
            return str(self.parent[match.group(1)].value())

        return re.sub(r"\[value parent\.(\w+)\]", lookup, str(self[name].value()))


class Group(Node):
    """A group or gizmo: a node with inner nodes."""

    def __init__(self, cls: str, name: str) -> None:
        super().__init__(cls, name)
        self.children: dict[str, Node] = {}

    def node(self, name: str) -> Node | None:
        _check_thread(f"{self.name()}.node({name!r})")
        return self.children.get(name)


class Menu:
    """A menu: sub-menus and commands (label, script)."""

    def __init__(self, name: str) -> None:
        self._name = name
        self.items: dict[str, Menu] = {}
        self.commands: list[tuple[str, Any]] = []

    def name(self) -> str:
        return self._name

    def addMenu(self, name: str, *args: Any, **kwargs: Any) -> Menu:
        calls.append(("addMenu", self._name, name))
        return self.items.setdefault(name, Menu(name))

    def addCommand(self, label: str, command: Any = None, *args: Any, **kwargs: Any) -> None:
        calls.append(("addCommand", self._name, label, command))
        self.commands.append((label, command))


class ProgressTask:
    """Records progress; never cancelled unless ``cancel_after`` says so."""

    cancel_after: int | None = None

    def __init__(self, title: str) -> None:
        calls.append(("ProgressTask", title))
        self.steps = 0

    def setProgress(self, percent: int) -> None:
        calls.append(("setProgress", percent))
        self.steps += 1

    def setMessage(self, text: str) -> None:
        calls.append(("setMessage", text))

    def isCancelled(self) -> bool:
        return self.cancel_after is not None and self.steps >= self.cancel_after


def menu(name: str) -> Menu:
    return menus.setdefault(name, Menu(name))


def pluginAddPath(path: str, addToSysPath: bool = True) -> None:
    calls.append(("pluginAddPath", path))
    plugin_paths.insert(0, path)


def createNode(cls: str, knobs: str = "", inpanel: bool = True) -> Node:
    _check_thread(f"createNode({cls!r})")
    calls.append(("createNode", cls))
    for folder in plugin_paths:
        path = os.path.join(folder, cls + ".gizmo")
        if os.path.isfile(path):
            node: Node = _gizmo_node(cls, path)
            break
    else:
        node = Node(cls, f"{cls}{len(created) + 1}")
        if cls == "Read":
            node.add_knob("first", 1)
            node.add_knob("last", 1)
    created.append(node)
    return node


def execute(node: Node, start: int, end: int, incr: int = 1) -> None:
    _check_thread("execute()")
    calls.append(("execute", node.name(), start, end))
    if renderer is not None:
        renderer(node, start, end)


def message(text: str) -> None:
    calls.append(("message", text))


def executeInMainThread(call: Callable[..., Any], args: Any = (), kwargs: Any = None) -> None:
    calls.append(("executeInMainThread", getattr(call, "__name__", repr(call))))
    main_thread_queue.append((call, tuple(args) if isinstance(args, tuple | list) else (args,)))


def run_main_thread_queue() -> int:
    """Run what worker threads queued; returns how many calls ran."""
    count = 0
    while main_thread_queue:
        call, args = main_thread_queue.pop(0)
        call(*args)
        count += 1
    return count


def thisNode() -> Node:
    return current["node"]


def thisKnob() -> Knob:
    return current["knob"]


def _gizmo_node(cls: str, path: str) -> Group:
    """A gizmo node as its file defines it: user knobs with defaults, inner nodes by name."""
    script = read_nk(path)
    definition = next(n for n in script.nodes if n.cls == "Gizmo")
    group = Group(cls, f"{cls}{len(created) + 1}")
    for knob in definition.user_knobs:
        text = definition.knobs.get(knob.name)
        group.add_knob(knob.name, *_initial_value(knob.type, text, knob.items, knob.text))
    for child in definition.children:
        group.children[child.name] = _inner_node(child, group)
    for child in definition.children:
        for index, source in enumerate(child.inputs):
            node = group.children[child.name]
            node._inputs[index] = group.children[source.name] if source is not None else None
    return group


def _inner_node(child: NkNode, group: Group) -> Node:
    node = Node(child.cls, child.name, group)
    for name, text in child.knobs.items():
        if name != "name":
            node.add_knob(name, text)
    return node


def _initial_value(
    kind: int, text: str | None, items: list[str], body: str | None
) -> tuple[Any, str | None]:
    """A user knob's value (and expression) from its default text in the gizmo file."""
    if text is not None and text.startswith("{") and text.endswith("}"):
        return (0, text.strip("{}"))
    if kind == INT:
        return (int(text) if text else 0, None)
    if kind == BOOL:
        return (text == "true", None)
    if kind == ENUM:
        return (text if text else items[0], None)
    if kind in (PYSCRIPT, TEXT):
        return (body or "", None)
    return (text or "", None)
