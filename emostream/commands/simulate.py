"""`emostream simulate`: publish the synthetic wearer as LSL outlets."""

from __future__ import annotations

import argparse
import asyncio
from typing import TYPE_CHECKING

from emostream.errors import UsageError
from emostream.synth.protocol import PHASES, Protocol

if TYPE_CHECKING:
    from emostream.sinks.lsl import StreamOutlets
    from emostream.sources.synthetic import SyntheticWearerSource


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "simulate",
        help="publish a synthetic wearer as LSL outlets",
        description=(
            "Publish a synthetic wearer (ECG, PPG, EDA, respiration, skin temperature, 4-channel "
            "EEG and phase markers) as LSL outlets, following a scripted protocol."
        ),
    )
    p.add_argument(
        "--seed", type=int, default=1, help="random seed; also part of source_ids (default 1)"
    )
    p.add_argument(
        "--duration",
        type=float,
        default=None,
        metavar="S",
        help="seconds to publish (default: one pass of the protocol; the protocol repeats)",
    )
    p.add_argument(
        "--speed",
        type=float,
        default=1.0,
        metavar="X",
        help="multiple of real time (default 1); timestamps follow the virtual clock",
    )
    p.add_argument(
        "--protocol",
        default=None,
        metavar="PHASE:S,...",
        help=f"phases and durations, e.g. baseline:120,stress:120 (phases: {', '.join(PHASES)})",
    )
    p.add_argument(
        "--counter",
        action="store_true",
        help="add a 'counter' channel with each sample's index, to detect lost samples",
    )
    p.add_argument("--kinds", default=None, metavar="ECG,EDA,...", help="only these stream kinds")
    p.add_argument(
        "--wait-for-consumers",
        type=float,
        default=0.0,
        metavar="S",
        help="before starting, wait up to S seconds until every outlet has a subscriber",
    )
    p.set_defaults(func=run)


def parse_protocol(text: str | None) -> Protocol:
    if not text:
        return Protocol()
    phases = []
    for part in text.split(","):
        name, _, seconds = part.strip().partition(":")
        try:
            phases.append((name, float(seconds)))
        except ValueError:
            raise UsageError(f"--protocol: '{part}' is not PHASE:SECONDS") from None
    try:
        return Protocol(tuple(phases))
    except ValueError as exc:
        raise UsageError(f"--protocol: {exc}") from None


async def publish(source: SyntheticWearerSource, outlets: StreamOutlets) -> int:
    n = 0
    async for chunk in source.events():
        outlets.push(chunk)  # type: ignore[arg-type]
        n += len(chunk)  # type: ignore[arg-type]
    return n


def run(args: argparse.Namespace) -> int:
    from emostream.core.clock import lsl_now_s
    from emostream.sinks.lsl import END_LINGER_S, StreamOutlets
    from emostream.sources.synthetic import SyntheticWearerSource

    if args.speed <= 0:
        raise UsageError("--speed must be > 0")
    kinds = tuple(k.strip() for k in args.kinds.split(",")) if args.kinds else None
    protocol = parse_protocol(args.protocol)
    duration = args.duration if args.duration is not None else 24 * 3600.0
    source = SyntheticWearerSource(
        seed=args.seed,
        duration_s=duration,
        protocol=protocol,
        speed=args.speed,
        counter_channel=args.counter,
        kinds=kinds,
    )
    outlets = StreamOutlets(source.specs, manufacturer="emostream", model="synthetic-wearer")
    for spec in source.specs:
        rate = "irregular" if spec.is_irregular else f"{spec.rate_hz:g} Hz"
        print(
            f"publishing {spec.name:14s} type={spec.kind:8s} {rate:>10s}  source_id={spec.source_id}",
            flush=True,
        )
    if args.wait_for_consumers > 0 and not outlets.wait_for_consumers(args.wait_for_consumers):
        print("not every outlet has a subscriber yet; starting anyway", flush=True)
    source.t0_s = lsl_now_s()
    try:
        n = asyncio.run(publish(source, outlets))
    except KeyboardInterrupt:
        outlets.close()
        print("stopped", flush=True)
        return 0
    outlets.close(linger_s=END_LINGER_S)
    print(f"done: {n} samples published", flush=True)
    return 0
