"""`emostream train`: a general model from a labelled dataset, to warm-start live sessions."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from emostream.commands.batch_args import add_cache_args, add_cluster_args, cluster_options
from emostream.datasets.registry import DATASETS, prepare
from emostream.errors import UsageError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train",
        help="build a general model from a labelled dataset",
        description=(
            "Compute the pipeline's features on every subject of DATASET, normalise each "
            "subject against its own running baseline, and train the pipeline's learner on the "
            "labelled windows in shuffled order. Its confidence is calibrated on the outputs of "
            "models trained without each eighth of the subjects, streamed over that eighth. The "
            "model file warm-starts `run`/`process` with --model and `evaluate` with --model."
        ),
    )
    add_dataset_args(p)
    p.add_argument("--out", required=True, type=Path, metavar="FILE", help="model file to write")
    add_cluster_args(p, "subjects' features")
    p.set_defaults(func=run)


def add_dataset_args(p: argparse.ArgumentParser) -> None:
    """The dataset, its layout, the pipeline and the subset: shared with `evaluate`."""
    p.add_argument("dataset", type=Path, metavar="DATASET", help="dataset folder")
    p.add_argument("--format", required=True, choices=sorted(DATASETS), help="dataset layout")
    p.add_argument(
        "--pipeline",
        default=None,
        help="pipeline name or file (default: e4-wrist-stress-predict for Stress-Predict, "
        "e4-wrist for WESAD binary, e4-wrist-3class for WESAD's 3 classes)",
    )
    p.add_argument("--subjects", default="", help="comma-separated subset, e.g. S02,S03")
    p.add_argument(
        "--train-stride",
        type=int,
        default=5,
        metavar="N",
        help="train general models on every N-th labelled window (default 5)",
    )
    p.add_argument(
        "--label-set",
        default=None,
        metavar="NAME",
        help="classes to score: wesad 3class (baseline/stress/amusement, default), binary "
        "(non-stress/stress) or 4class (with meditation); stress-predict binary (calm/stress)",
    )
    p.add_argument(
        "--trust-pickle",
        action="store_true",
        help="read WESAD's official SX.pkl files (a pickle can run code; only numpy arrays, "
        "strings and dicts are admitted)",
    )
    add_cache_args(p, "every subject's features")


def dataset_options(args: argparse.Namespace) -> dict[str, Any]:
    """The `prepare` options of the arguments `add_dataset_args` adds."""
    return {
        "pipeline": args.pipeline,
        "subjects": [s.strip() for s in args.subjects.split(",") if s.strip()],
        "label_set": args.label_set,
        "trust_pickle": args.trust_pickle,
        "cache_dir": args.cache_dir,
        "use_cache": not args.no_cache,
    }


def run(args: argparse.Namespace) -> int:
    from emostream.evaluation.calibrate import calibrated_general
    from emostream.evaluation.protocols import encode_labelled
    from emostream.pipeline.build import check_model_path

    if args.train_stride < 1:
        raise UsageError("--train-stride must be >= 1")
    check_model_path(args.out, read=False, write=True)

    def progress(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    config, model_config, data = prepare(
        args.dataset,
        args.format,
        **dataset_options(args),
        progress=progress,
        cluster=cluster_options(args),
    )
    check_model_path(args.out, read=False, write=True, config=config)
    encoded = {s.subject: encode_labelled(model_config, s, args.train_stride) for s in data}
    model = calibrated_general(model_config, config.config_hash, data, encoded, progress=progress)
    model.trained_on = {
        "dataset": args.format,
        "subjects": {s.subject: s.fingerprint for s in data},
    }
    model.save(args.out)
    n = sum(len(e) for e in encoded.values())
    calibration = model.calibration
    print(
        f"wrote {args.out}: {model_config.learner} on {n} windows of {len(data)} subjects, "
        f"classes {', '.join(model_config.labels.classes)}, config {config.config_hash}; "
        f"confidence calibration slope {calibration.slope:.3f}, "
        f"intercept {calibration.intercept:.3f}"
        + (" (none: fewer than 2 subjects)" if calibration.is_identity else "")
    )
    return 0
