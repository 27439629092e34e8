"""The command registry: name, module and one-line summary of every subcommand.

Only the module of the command being run is imported (``tfinspect --help`` imports
none), so start-up stays fast and a command whose module cannot be imported (a
missing optional package) leaves every other command working.  A command module
defines ``add_arguments(parser)`` and ``run(args) -> exit status``; it imports the
loaders, analyses and renderers inside ``run``, so ``tfinspect COMMAND --help`` builds
the command's parser without them (``tests/commands/test_startup.py`` holds this).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType


@dataclass(frozen=True)
class CommandInfo:
    name: str
    module: str  # below inspector.commands
    summary: str

    def load(self) -> ModuleType:
        return importlib.import_module(f"{__name__}.{self.module}")


# In help order.
COMMANDS: tuple[CommandInfo, ...] = (
    CommandInfo("show", "show",
                "overview: kind, TF version, tag-sets, signatures, sizes, op types, variables, collections"),
    CommandInfo("signatures", "signatures",
                "signatures of every tag-set (inputs, outputs, dtypes, shapes) and TF2 concrete functions"),
    CommandInfo("ops", "ops", "operations of the graph: name, op type, device, inputs, output dtypes and shapes"),
    CommandInfo("collections", "collections",
                "collections of a MetaGraph (variables, train_op, savers...), with their contents decoded"),
    CommandInfo("variables", "variables",
                "variables (name, dtype, shape, size, trainable, initializer, object path) and totals"),
    CommandInfo("functions", "functions",
                "function library: signatures, node counts, callees, callers, signatures reaching each function"),
    CommandInfo("io", "io",
                "likely inputs (placeholders) and outputs (unread nodes) of a frozen graph or .meta, "
                "with a suggestion"),
    CommandInfo("dump", "dump",
                "print the protobuf as pbtxt (or JSON): the whole file, a node, function, signature or collection"),
    CommandInfo("ckpt", "ckpt",
                "checkpoint tensors (names, dtypes, shapes, sizes), values, statistics, checksums, graph audit"),
    CommandInfo("graph", "graph", "draw the graph (or a signature's part of it) as DOT, SVG, PNG, PDF or an interactive HTML page"),
    CommandInfo("check", "check", "find why a SavedModel or graph will fail to load or serve (rules with codes and fixes)"),
    CommandInfo("compat", "compat",
                "which TensorFlow / TF Serving releases can load and run each signature, per loader, and why not"),
    CommandInfo("scan", "scan", "what running the model can do to files and the network: check --select security, "
                                "exit 1 on any finding"),
    CommandInfo("diff", "diff", "what changed between two artifacts, and whether clients of the old one break"),
    CommandInfo("versions", "versions",
                "numbered versions of a model directory as TF Serving sees them: which one is served, "
                "what each holds, what changed"),
    CommandInfo("audit", "audit",
                "every model of a registry (folders or gs://, s3:// URLs): one inventory row each with "
                "writer, signatures, op types and check verdicts, and a summary"),
    CommandInfo("request", "request",
                "the REST body TF Serving or Vertex AI takes for a signature, with URL and curl; "
                "--validate checks a body offline"),
    CommandInfo("metadata", "metadata", "what TF Serving's GET /v1/models/NAME/metadata returns for this export"),
    CommandInfo("run", "run", "EXECUTES the model: run a signature with TensorFlow in a child process"),
)

BY_NAME = {info.name: info for info in COMMANDS}
