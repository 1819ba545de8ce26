"""`emostream evaluate`: leave-one-subject-out scores of the online model next to references,
in the natural order and re-assembled in a random segment order."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from emostream.commands.common import add_model_args
from emostream.commands.train import add_dataset_args, dataset_options
from emostream.errors import UsageError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "evaluate",
        help="score the online model on a labelled dataset, next to references",
        description=(
            "Leave-one-subject-out: for each held-out subject, a general model is trained on "
            "the others. generic: the held-out session streamed with only its declared "
            "baseline phase; personalised: each labelled segment revealed when it ends, scored "
            "prequentially. References on the same windows and folds: time-only (elapsed time "
            "alone), logistic (class-balanced, same z-scores) and boosting (gradient boosting, "
            "class weights). Each is scored in the natural order and on sessions re-assembled "
            "in a random segment order (shuffled), averaged over seeds, with bootstrap 95%% "
            "CIs over subjects."
        ),
    )
    add_dataset_args(p)
    add_model_args(p, "pre-trained model file")
    p.add_argument(
        "--seeds", type=int, default=3, metavar="N", help="seeds per subject (default 3)"
    )
    p.add_argument(
        "--no-shuffled", action="store_true", help="score the natural order only (faster)"
    )
    p.add_argument(
        "--allow-overlap",
        action="store_true",
        help="score subjects that the --model file was trained on (in-sample, optimistic)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(func=run)


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    from emostream.datasets.registry import open_dataset, prepare, shuffled_windows
    from emostream.evaluation.protocols import evaluate
    from emostream.models.online import OnlineStateModel
    from emostream.pipeline.build import check_model_path

    if args.train_stride < 1:
        raise UsageError("--train-stride must be >= 1")
    if args.model is not None:
        check_model_path(args.model, read=True, write=False)
    if not 1 <= args.seeds <= 100:
        raise UsageError("--seeds must be between 1 and 100")
    options = dataset_options(args)
    config, model_config, data = prepare(args.dataset, args.format, **options, progress=_progress)
    model = None
    if args.model is not None:
        model = OnlineStateModel.load(
            args.model,
            model_config,
            config_hash=config.config_hash,
            trust_pickle=args.trust_model_file,
        )
        overlap = in_sample(model.trained_on, args.format, data)
        if overlap and not args.allow_overlap:
            raise UsageError(
                f"{args.model}: was trained on {', '.join(overlap)} of this dataset, so their "
                "scores would be in-sample; leave them out with --subjects, or pass "
                "--allow-overlap to score them anyway"
            )
    elif len(data) < 2:
        raise UsageError("leave-one-subject-out needs at least two subjects (or pass --model)")
    shuffled = None
    if not args.no_shuffled:
        dataset = open_dataset(
            args.dataset,
            args.format,
            label_set=options["label_set"],
            trust_pickle=options["trust_pickle"],
        )
        shuffled = shuffled_windows(
            dataset,
            args.dataset,
            args.format,
            config,
            model_config,
            cache_dir=options["cache_dir"],
            use_cache=options["use_cache"],
            progress=_progress,
        )
    scores = evaluate(
        data,
        model_config,
        config_hash=config.config_hash,
        shuffled=shuffled,
        model=model,
        seeds=range(args.seeds),
        train_stride=args.train_stride,
        progress=_progress,
    )
    scores["dataset"] = {
        "format": args.format,
        "label_set": options["label_set"],
        "subjects": [s.subject for s in data],
    }
    scores["pipeline"] = {"name": config.meta.name, "config_hash": config.config_hash}
    if args.json:
        print(json.dumps(scores))
        return 0
    print_table(scores)
    return 0


def in_sample(trained_on: dict[str, Any], fmt: str, data: list[Any]) -> list[str]:
    """Subjects of `data` that a model was trained on: the same dataset layout and subject,
    or the same input files (the fingerprint) under any name."""
    subjects = trained_on.get("subjects") or {}
    same_dataset = trained_on.get("dataset") == fmt
    fingerprints = set(subjects.values())
    return [
        s.subject
        for s in data
        if (same_dataset and s.subject in subjects)
        or (s.fingerprint and s.fingerprint in fingerprints)
    ]


def _ci(ci: Any) -> str:
    return f"[{ci[0]:.3f}, {ci[1]:.3f}]" if ci else ""


def print_table(scores: dict[str, Any]) -> None:
    """The summary as text: one block per order, then the paired comparisons."""
    for order in ("natural", "shuffled"):
        if order not in scores:
            continue
        print(f"{order} order (balanced accuracy over subjects; {len(scores['seeds'])} seed(s))")
        print(
            f"  {'protocol':<14}{'mean':>7}  {'95% CI':<17}{'min':>7}  {'worst':<6}{'acc.':>7}{'F1':>7}"
        )
        for protocol, s in scores[order].items():
            if protocol == "comparisons" or s["balanced_accuracy_mean"] is None:
                continue
            print(
                f"  {protocol:<14}{s['balanced_accuracy_mean']:>7.3f}  "
                f"{_ci(s['balanced_accuracy_ci95']):<17}{s['balanced_accuracy_min']:>7.3f}  "
                f"{s['worst_subject']:<6}{s['accuracy_mean']:>7.3f}{s['macro_f1_mean']:>7.3f}"
            )
        for name, diff in scores[order]["comparisons"].items():
            if diff["mean"] is not None:
                print(
                    f"  {name:<28}{diff['mean']:>+7.3f}  {_ci(diff['ci95'])}  "
                    f"better in {diff['n_better']}/{diff['n_subjects']}"
                )
