"""`emostream simulate`: publish the synthetic wearer as LSL outlets."""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import TYPE_CHECKING

from emostream.commands import arg_types
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
        "--seed",
        type=arg_types.seed,
        default=1,
        help="random seed; also part of source_ids (default 1)",
    )
    p.add_argument(
        "--duration",
        type=arg_types.seconds,
        default=None,
        metavar="S",
        help="seconds to publish (default: one pass of the protocol; the protocol repeats)",
    )
    p.add_argument(
        "--speed",
        type=arg_types.speed,
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
        "--wearers",
        type=arg_types.wearers,
        default=1,
        metavar="N",
        help="publish N wearers (seeds SEED..SEED+N-1); stream names and source_ids end in "
        "-w01, -w02, … (default 1: no suffix)",
    )
    p.add_argument(
        "--wait-for-consumers",
        type=arg_types.seconds_or_zero,
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


def parse_kinds(text: str | None) -> tuple[str, ...] | None:
    """The `--kinds` list, each a stream kind of the synthetic wearer."""
    if text is None:
        return None
    from emostream.profiles import load_profile
    from emostream.sources.synthetic import PROFILE_NAME

    known = [s.kind for s in load_profile(PROFILE_NAME).streams]
    kinds = tuple(k.strip() for k in text.split(",") if k.strip())
    unknown = [k for k in kinds if k not in known]
    if unknown or not kinds:
        raise UsageError(
            f"--kinds: unknown stream kind(s) {', '.join(map(repr, unknown))}; "
            f"the synthetic wearer has {', '.join(known)}"
        )
    return kinds


async def publish(source: SyntheticWearerSource, outlets: StreamOutlets) -> int:
    n = 0
    async for chunk in source.events():
        outlets.push(chunk)  # type: ignore[arg-type]
        n += len(chunk)  # type: ignore[arg-type]
    return n


def run(args: argparse.Namespace) -> int:
    from emostream.core.clock import lsl_now_s
    from emostream.core.spec import wearer_slot
    from emostream.sinks.lsl import END_LINGER_S, StreamOutlets
    from emostream.sources.synthetic import SyntheticWearerSource

    kinds = parse_kinds(args.kinds)
    protocol = parse_protocol(args.protocol)
    duration = args.duration if args.duration is not None else 24 * 3600.0
    sources = [
        SyntheticWearerSource(
            seed=args.seed + i,
            duration_s=duration,
            protocol=protocol,
            speed=args.speed,
            counter_channel=args.counter,
            kinds=kinds,
            slot=wearer_slot(i, args.wearers) if args.wearers > 1 else "",
        )
        for i in range(args.wearers)
    ]
    outlets = [
        StreamOutlets(source.specs, manufacturer="emostream", model="synthetic-wearer")
        for source in sources
    ]
    for source in sources[:3]:
        for spec in source.specs:
            rate = "irregular" if spec.is_irregular else f"{spec.rate_hz:g} Hz"
            print(
                f"publishing {spec.name:14s} type={spec.kind:8s} {rate:>10s}  "
                f"source_id={spec.source_id}",
                flush=True,
            )
    if len(sources) > 3:
        print(f"… and {len(sources) - 3} more wearers", flush=True)
    wait_s = args.wait_for_consumers
    if wait_s > 0 and not all(o.wait_for_consumers(wait_s) for o in outlets):
        print("not every outlet has a subscriber yet; starting anyway", flush=True)
    t0_s = lsl_now_s()
    for source in sources:
        source.t0_s = t0_s
    try:
        n = sum(asyncio.run(publish_all(sources, outlets)))
    except KeyboardInterrupt:
        for outlet in outlets:
            outlet.close()
        print("stopped", flush=True)
        return 0
    if any(outlet.have_consumers() for outlet in outlets):
        time.sleep(END_LINGER_S)  # let subscribers receive the last samples
    for outlet in outlets:
        outlet.close()
    print(f"done: {n} samples published", flush=True)
    return 0


async def publish_all(
    sources: list[SyntheticWearerSource], outlets: list[StreamOutlets]
) -> list[int]:
    """Every wearer's streams at once, on one clock."""
    return await asyncio.gather(*(publish(s, o) for s, o in zip(sources, outlets, strict=True)))
