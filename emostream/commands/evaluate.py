"""`emostream evaluate`: leave-one-subject-out scores of the online model next to references,
in the natural order and re-assembled in a random segment order."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from emostream.commands.batch_args import add_cluster_args, cluster_options
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
    p.add_argument(
        "--active",
        action="store_true",
        help="also measure label requests answered by a simulated wearer (uncertainty, random, "
        "periodic, from scratch) at budgets 2, 4, 8, 16 a session",
    )
    p.add_argument(
        "--outputs",
        action="store_true",
        help="also check the outputs: confidence calibration, arousal and valence against "
        "labels and SAM reports, stress-onset latency, drift alarms at rest",
    )
    p.add_argument(
        "--held-out",
        default="",
        metavar="IDS",
        help="--active/--outputs: hold out only these subjects (comma-separated; the general "
        "models still learn from every other subject)",
    )
    p.add_argument(
        "--figures",
        type=Path,
        default=None,
        metavar="DIR",
        help="write the label-efficiency and reliability PNGs of --active/--outputs here",
    )
    p.add_argument(
        "--report",
        type=Path,
        default=None,
        metavar="DIR",
        help="write an HTML report per subject (the generic model's predicted state against "
        "its labels) and DIR/index.html with the summary figures",
    )
    p.add_argument(
        "--select",
        action="store_true",
        help="instead of scoring the pipeline's model, choose its inputs and learner by nested "
        "leave-one-subject-out and report the nested score (see docs/evaluation.md)",
    )
    add_cluster_args(p, "subjects' features and held-out folds (and --select's candidates)")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(func=run)


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    from emostream.cluster import reused_clusters

    with reused_clusters():  # one local cluster for the features, the folds and the rest
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    from emostream.datasets.registry import prepare
    from emostream.evaluation.protocols import evaluate
    from emostream.models.online import OnlineStateModel
    from emostream.pipeline.build import check_model_path

    if args.train_stride < 1:
        raise UsageError("--train-stride must be >= 1")
    if args.model is not None:
        check_model_path(args.model, read=True, write=False)
    if not 1 <= args.seeds <= 100:
        raise UsageError("--seeds must be between 1 and 100")
    if args.figures is not None and not (args.active or args.outputs):
        raise UsageError("--figures needs --active or --outputs")
    if (args.active or args.outputs) and args.model is not None:
        raise UsageError("--active and --outputs train their own general models; drop --model")
    if args.select and (
        args.model is not None or args.active or args.outputs or args.report is not None
    ):
        raise UsageError(
            "--select scores candidates of its own; drop --model, --active, --outputs, --report"
        )
    options = dataset_options(args)
    cluster = cluster_options(args)
    config, model_config, data = prepare(
        args.dataset, args.format, **options, progress=_progress, cluster=cluster
    )
    if args.select:
        shuffled = _shuffled(args, options, cluster, config, model_config, data)
        return _select(args, data, model_config, shuffled, cluster)
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
    shuffled = _shuffled(args, options, cluster, config, model_config, data)
    scores = evaluate(
        data,
        model_config,
        config_hash=config.config_hash,
        shuffled=shuffled,
        model=model,
        seeds=range(args.seeds),
        train_stride=args.train_stride,
        keep_predictions=args.report is not None,
        progress=_progress,
        cluster=cluster,
    )
    if args.active or args.outputs:
        scores.update(_heldout(args, data, model_config, config.config_hash, shuffled, cluster))
    scores["dataset"] = {
        "format": args.format,
        "label_set": options["label_set"],
        "subjects": [s.subject for s in data],
    }
    scores["pipeline"] = {"name": config.meta.name, "config_hash": config.config_hash}
    if args.report is not None:
        from emostream.report.evaluation import write_evaluation

        name = args.format + (f"-{options['label_set']}" if options["label_set"] else "")
        index = write_evaluation(args.report, data, scores, name)
        _progress(f"wrote {index}")
        del scores["predictions"]
    if args.json:
        print(json.dumps(scores))
        return 0
    print_table(scores)
    return 0


def _shuffled(args: argparse.Namespace, options, cluster, config, model_config, data):
    """`(subject, seed)` → the subject's session re-assembled in a random segment order (None
    with --no-shuffled)."""
    from emostream.datasets.registry import open_dataset, prefetched, shuffled_windows

    if args.no_shuffled:
        return None

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
    keys = [(s.subject, seed) for s in data if any(s.truth) for seed in range(args.seeds)]
    if not cluster.in_process(len(keys)):
        shuffled = prefetched(shuffled, keys, cluster)
    return shuffled


def _select(args: argparse.Namespace, data, model_config, shuffled, cluster) -> int:
    from emostream.evaluation.selection import select

    try:
        result = select(
            data,
            model_config,
            train_stride=args.train_stride,
            shuffled=shuffled,
            seeds=args.seeds,
            progress=_progress,
            cluster=cluster,
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.json:
        print(json.dumps(result))
        return 0
    for title, nested, chosen in (
        ("the best", result["nested"], result["chosen_on_all_subjects"]),
        (
            "by the one-standard-error rule",
            result["nested_one_se"],
            result["nested_one_se"]["chosen_on_all_subjects"],
        ),
    ):
        print(
            f"nested leave-one-subject-out, {title} on the inner folds (balanced accuracy of "
            f"the candidate chosen): {nested['balanced_accuracy_mean']:.3f} "
            f"{_ci(nested['balanced_accuracy_ci95'])}, worst {nested['balanced_accuracy_min']:.3f}"
        )
        for subject, fold in nested["folds"].items():
            print(
                f"  {subject:<6} {fold['chosen']:<60} inner {fold['inner']:.3f}  "
                f"outer {fold['outer']:.3f}"
            )
        print(f"chosen on all subjects: {chosen}")
    lags = ", ".join(f"{lag:g}" for lag in result["change_lags_s"])
    print(f"(the 'change' group: each input's change over change_s = {lags} s)")
    print("leave-one-subject-out, every candidate:")
    for name, mean in result["loso"].items():
        print(f"  {name:<60} {mean:.3f}")
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


def _heldout(
    args: argparse.Namespace, data, model_config, config_hash: str, shuffled, cluster
) -> dict:
    """The --active / --outputs measurements, and their figures when asked."""
    from emostream.evaluation.heldout import evaluate_heldout

    result = evaluate_heldout(
        data,
        model_config,
        config_hash=config_hash,
        shuffled=shuffled,
        seeds=range(args.seeds),
        train_stride=args.train_stride,
        with_active=args.active,
        with_outputs=args.outputs,
        held_out=[s for s in args.held_out.split(",") if s],
        progress=_progress,
        cluster=cluster,
    )
    if args.figures is not None:
        from emostream.evaluation import figures

        args.figures.mkdir(parents=True, exist_ok=True)
        name = args.format + (f"-{args.label_set}" if args.label_set else "")
        for order, summary in result.get("active", {}).items():
            path = args.figures / f"label-efficiency-{name}.png"
            figures.label_efficiency(summary, f"{name}, {order} order", path)
            _progress(f"wrote {path}")
        if "outputs" in result:
            path = args.figures / f"reliability-{name}.png"
            figures.reliability(result["outputs"]["calibration"], name, path)
            _progress(f"wrote {path}")
    return result


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
        _print_phases(scores.get("phases", {}).get(order, {}))
    for order, summary in scores.get("active", {}).items():
        print(f"label requests, {order} order (balanced accuracy on the later windows)")
        for name, run in summary["runs"].items():
            answers = run.get("n_answers_mean")
            print(
                f"  {name:<16}{run['balanced_accuracy_mean']:>7.3f}  "
                f"{_ci(run['balanced_accuracy_ci95']):<17}"
                + (
                    f"answers {answers:4.1f}  worst drop {run['max_drop_below_generic']:+.3f}"
                    if answers is not None
                    else ""
                )
            )
        for name, diff in summary["comparisons"].items():
            if diff["mean"] is not None:
                print(
                    f"  {name:<34}{diff['mean']:>+7.3f}  {_ci(diff['ci95'])}  "
                    f"better in {diff['n_better']}/{diff['n_subjects']}"
                )
    if "outputs" in scores:
        _print_outputs(scores["outputs"])


def _print_phases(by_protocol: dict[str, Any]) -> None:
    """Accuracy within each protocol phase (mean over subjects), one column per protocol."""
    from emostream.evaluation.phases import phase_table

    names, rows = phase_table(by_protocol)
    if not rows:
        return
    print("  accuracy within each phase (mean over subjects)")
    print(f"  {'phase':<24}{'class':<12}" + "".join(f"{p[:13]:>14}" for p in names))
    for phase, label, _, _, *cells in rows:
        text = "".join(f"{c:>14.3f}" if c is not None else f"{'':>14}" for c in cells)
        print(f"  {phase[:23]:<24}{label[:11]:<12}{text}")


def _mean(item: dict[str, Any]) -> str:
    if item["mean"] is None:
        return "n/a"
    return f"{item['mean']:.3f} {_ci(item['ci95'])} over {item['n_subjects']} subjects"


def _print_outputs(out: dict[str, Any]) -> None:
    cal = out["calibration"]
    print("outputs (held-out subjects, generic protocol)")
    for when in ("before", "after"):
        print(
            f"  ECE {when} calibration: pooled {cal[when]['ece_pooled']:.3f}, "
            f"per subject {_mean(cal[when]['ece_per_subject'])}"
        )
        print(
            f"  Brier score {when} calibration: pooled {cal[when]['brier_pooled']:.4f}, "
            f"per subject {_mean(cal[when]['brier_per_subject'])}"
        )
    print(f"  arousal AUROC, stress vs rest: {_mean(out['arousal_auroc'])}")
    print(f"  arousal vs SAM arousal (Spearman): {_mean(out['arousal_sam_spearman'])}")
    print(f"  valence vs SAM valence (Spearman): {_mean(out['valence_sam_spearman'])}")
    lat = out["stress_latency_s"]
    if lat["median"] is not None:
        print(
            f"  stress-onset latency: median {lat['median']:.0f} s, mean {lat['mean']:.0f} s; "
            f"missed {lat['n_missed']}/{lat['n_onsets']} onsets"
        )
    drift = out["drift"]
    if drift["false_alarms_per_rest_hour"] is not None:
        print(
            f"  drift alarms at rest: {drift['false_alarms_per_rest_hour']:.2f} per hour "
            f"({drift['alarms_at_rest']} in {drift['rest_hours']:.1f} h); {drift['action']}"
        )
