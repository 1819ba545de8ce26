"""`emostream evaluate`: generic (leave-one-subject-out), personalised online and batch scores."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from emostream.commands.train import add_dataset_args
from emostream.datasets.registry import prepare
from emostream.errors import UsageError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "evaluate",
        help="score the online model on a labelled dataset",
        description=(
            "Generic: without --model, leave-one-subject-out (train on the others, stream the "
            "held-out subject without labels); with --model, that model streams every subject. "
            "Personalised: the same stream, each labelled segment revealed when it ends, scored "
            "prequentially. Batch: a scikit-learn random forest on the same features and folds."
        ),
    )
    add_dataset_args(p)
    p.add_argument(
        "--model", type=Path, default=None, metavar="FILE", help="pre-trained model file"
    )
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(func=run)


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    from emostream.models.evaluation import PROTOCOLS, evaluate
    from emostream.models.online import OnlineStateModel

    if args.train_stride < 1:
        raise UsageError("--train-stride must be >= 1")
    subjects = [s.strip() for s in args.subjects.split(",") if s.strip()]
    config, model_config, data = prepare(
        args.dataset, args.format, pipeline=args.pipeline, subjects=subjects, progress=_progress
    )
    model = None
    if args.model is not None:
        model = OnlineStateModel.load(args.model, model_config, config_hash=config.config_hash)
    elif len(data) < 2:
        raise UsageError("leave-one-subject-out needs at least two subjects (or pass --model)")
    scores = evaluate(
        data,
        model_config,
        config_hash=config.config_hash,
        model=model,
        train_stride=args.train_stride,
        progress=_progress,
    )
    if args.json:
        print(json.dumps(scores))
        return 0
    print(f"{'protocol':<14}{'bal. acc. mean':>16}{'min':>8}{'macro-F1':>10}")
    for protocol in PROTOCOLS:
        s = scores[protocol]
        if s["balanced_accuracy_mean"] is None:
            print(f"{protocol:<14}{'(no other subjects to train on)':>34}")
            continue
        print(
            f"{protocol:<14}{s['balanced_accuracy_mean']:>16.3f}"
            f"{s['balanced_accuracy_min']:>8.3f}{s['macro_f1_mean']:>10.3f}"
        )
    return 0
