"""`tfinspect run PATH`: EXECUTE a signature with the TensorFlow runtime, in a child process.

This is the one command that runs model code.  TensorFlow is imported only in
the child (``python -m inspector.execute.child``), so a crash in the model ends
that process and tfinspect reports it in one line (exit 2).  The inputs are
checked first, as `request --validate` checks a body.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import SelectionError
from . import common


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = ("EXECUTES MODEL CODE: runs a signature of a SavedModel with TensorFlow, in a child "
                          "process, after checking the inputs. Run only models you trust.")
    common.SERVING.add_to(parser)
    common.add_serving(parser, model_name=False)
    given = parser.add_mutually_exclusive_group(required=True)
    given.add_argument("--input", metavar="BODY.json",
                       help="a TF Serving REST body (instances, inputs or examples), converted as the server does")
    given.add_argument("--inputs", metavar="NAME=FILE.npy", nargs="+", help="one .npy array per input alias")
    parser.add_argument("--target", choices=("python", "python-v1"), default="python",
                        help="python: tf.saved_model.load and .signatures[KEY] (default); "
                        "python-v1: a tf.compat.v1 Session with the SavedModel loader, as TF Serving loads it")
    parser.add_argument("--timeout", type=float, default=600, metavar="SECONDS",
                        help="stop the model after this long (default 600)")
    common.add_json(parser)


def run(args: argparse.Namespace) -> int:
    from ..analysis.requests import serving_signature
    from ..execute import launch
    from ..report import jsonout
    from ..report.run import outputs_json, render_outputs, render_problems
    from ..report.style import console
    from ..source.location import is_url

    artifact, meta = common.SERVING.load_graph(args)
    if is_url(artifact.root):
        raise SelectionError(artifact.root, "run executes a model from local files only",
                             "copy the export to a local directory (gsutil cp -r / aws s3 cp --recursive) and run that")
    key = args.signature
    try:
        if args.input:
            from .request_validate import check_file

            checked = check_file(meta, args.input, key, "tf-serving")
            if checked.errors:
                raise launch.InvalidInputs(args.input, checked.errors)
            key = checked.signature_key
            signature = serving_signature(artifact, meta, key)
            inputs = (launch.from_examples(signature.inputs[0].alias, checked.examples)
                      if checked.format == "examples" else launch.from_tensors(checked.tensors))
        else:
            signature = serving_signature(artifact, meta, key)
            key = signature.key
            inputs = launch.from_npy(signature, args.inputs)
    except launch.InvalidInputs as exc:
        render_problems(exc.problems, console(stderr=True))
        raise
    try:
        outputs, version = launch.execute(Path(artifact.root).resolve(), list(meta.tags), key, args.target, inputs,
                                          args.timeout)
    except launch.RunFailed as exc:
        found = artifact.checkpoint_integrity()
        if found is None or found.ok:
            raise
        # TensorFlow's restore failed on what the model fact already knew: say which shard, and the rule.
        raise launch.RunFailed(exc.path, exc.problem, f"the checkpoint is incomplete (TFI210): {found.problems()[0]}; "
                               "copy the whole export again") from None
    if args.json:
        jsonout.emit(outputs_json(key, args.target, version, outputs))
    else:
        render_outputs(key, args.target, version, outputs, console())
    return 0
