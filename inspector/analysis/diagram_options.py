"""The diagram options, declared once: the `graph` command's flags and ``inspector.graph``'s keywords.

:class:`DiagramOptions` is the one declaration: the command line builds its flags from
the fields' metadata and ``inspector.graph`` takes the same names, and
:meth:`DiagramOptions.validate` is the one validation both go through.  This module
imports nothing heavy, so that building the command line stays quick.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields

from ..errors import SelectionError
from .budget import AUTO_HIDE_CONTROL, BOX_BUDGET, FULL_BUDGET, LAYER_BUDGET, SECONDS_PER_BOX

OPS_ONLY = ("expand_calls", "inputs", "outputs", "around", "fold_consts")


def option(default, help: str, *, choices: tuple[str, ...] | None = None, metavar: str | None = None,
           group: str = "what", minimum: int | None = None, cli: bool = True):
    """A diagram option: its default and what the command line shows for it."""
    return field(default=default, metadata={"help": help, "choices": choices, "metavar": metavar,
                                            "group": group, "minimum": minimum, "cli": cli})


@dataclass
class DiagramOptions:
    """What to draw and how: the `graph` command's options and ``inspector.graph``'s keywords."""

    view: str = option("auto", "layers: one box per Keras layer of a TF2 signature or function, call "
                       "wrappers flattened; ops: every op of the graph; auto (default): the drawing "
                       "for docs (layers of a TF2 signature; for TF1, what the signatures compute, "
                       "or the path from inputs to outputs)", choices=("auto", "layers", "ops"))
    all: bool = option(False, "draw everything: the whole graph with its saver, restore, init and "
                       "training machinery (same as --view ops)")
    signature: str | None = option(None, "only what this SignatureDef's outputs need, from its inputs",
                                   metavar="KEY")
    inputs: str | None = option(None, "comma-separated tensor or node names to stop at", metavar="A,B")
    outputs: str | None = option(None, "comma-separated tensor or node names to draw back from",
                                 metavar="C,D")
    scope: str | None = option(None, "only nodes (or layers) under this name scope", metavar="PREFIX")
    around: str | None = option(None, "only the neighbourhood of this node", metavar="NODE")
    hops: int = option(2, "neighbourhood size for --around (2)", metavar="K", minimum=0)
    function: str | None = option(None, "draw this library function's body", metavar="NAME")
    expand_calls: bool = option(False, "draw called functions' bodies inline as clusters (ops view)")
    depth: int | None = option(None, "collapse name scopes deeper than N levels into one box each; in the "
                               "layers view 1 is one box per layer, 2 and more open the layers",
                               metavar="N", group="how", minimum=1)
    fold_consts: bool = option(False, "fold small single-use constants into their consumer's label "
                               "(the default drawing folds all weights)", group="how")
    edge_labels: str = option("shape", "edge labels: none, dtype[shape] (default) or tensor name plus "
                              "dtype[shape]", choices=("none", "shape", "full"), group="how")
    control: str = option("auto", "control dependencies: dashed grey edges, or hidden; auto (default) "
                          f"hides them above {AUTO_HIDE_CONTROL} boxes, with a note",
                          choices=("auto", "hide", "dashed"), group="how")
    rankdir: str = option("TB", "layout direction (TB)", choices=("TB", "LR"), group="how")
    max_nodes: int | None = option(None, f"boxes to draw at most; scopes are collapsed to fit (default "
                                   f"{BOX_BUDGET} ops or {LAYER_BUDGET} layers for the drawing for docs, "
                                   f"{FULL_BUDGET} with --all or another choice; Graphviz takes about "
                                   f"{SECONDS_PER_BOX * 1000:.0f} s per 1,000 boxes)",
                                   metavar="N", group="how", minimum=1)
    path: str | None = option(None, "names the artifact in errors", cli=False)

    def validate(self) -> DiagramOptions:
        """Raise the one error text for a wrong value, the same for the API and the command line."""
        for spec in fields(self):
            value = getattr(self, spec.name)
            choices, minimum = spec.metadata["choices"], spec.metadata["minimum"]
            if choices and value not in choices:
                raise SelectionError(None, f"{spec.name} {value!r} is not one of {', '.join(choices)}",
                                     f"--{flag(spec.name)} in the command line")
            if minimum is not None and value is not None and value < minimum:
                raise SelectionError(None, f"{spec.name} must be at least {minimum}, not {value}",
                                     f"--{flag(spec.name)} in the command line")
        if self.signature and self.function:
            raise SelectionError(None, "--signature and --function cannot be combined")
        return self

    @property
    def budget(self) -> int:
        return self.max_nodes or (BOX_BUDGET if documenting(self) else FULL_BUDGET)


def flag(name: str) -> str:
    return name.replace("_", "-")


def option_specs() -> list[tuple[str, object, dict]]:
    """(name, default, metadata) of every option the command line offers, in declaration order."""
    return [(f.name, None if f.default is MISSING else f.default, dict(f.metadata))
            for f in fields(DiagramOptions) if f.metadata["cli"]]


def cost_note(boxes: int) -> str:
    return f"about {max(1, round(boxes * SECONDS_PER_BOX))} s of Graphviz layout"


def documenting(options) -> bool:
    """Whether the options leave the choice to the default drawing for docs."""
    return options.view == "auto" and not options.all and not any(
        getattr(options, name) for name in ("signature", "function", "inputs", "outputs", "scope", "around",
                                            "expand_calls", "fold_consts"))
