"""Probe: should video-motion's stream also carry the flow's radial and turning parts about the crop's centre?

With the motion crop, the shipped model's errors on its dev sets moved to rotations read as growing or
shrinking and back (a shape's turning edges look like its edges moving out and in). Inside the crop the object
sits near the centre, where growing flow points out from it and turning flow round it; 3x3 convolutions do not
know where the centre is. ``crop+polar`` adds those two parts to the stream (``motion_stream.with_polar``);
``crop`` is the stream as shipped. Both arms train the same fresh CNN+GRU (MOTION's shape, learning rate and
augmentation) on the same clips, cut to the motion, for the same epochs, and are scored on the two dev sets
(bench/probe_flow_method.py says which), never on the held-out or shift test sets.
Writes bench/results/flow_polar_probe.json. Not part of ``make bench`` (about 25 minutes on 2 cores).
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.probe_flow_method import parse, probe_data, report, run_arm  # noqa: E402
from core.training import default_threads  # noqa: E402
from core.video.recipes import MOTION  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "flow_polar_probe.json"


def main() -> None:
    args = parse(__doc__.splitlines()[0], RESULTS)
    workers = default_threads()
    torch.set_num_threads(workers)
    data, sets = probe_data(args, workers, crop=True)
    cropped = replace(MOTION, motion_crop=True)
    arms = {
        name: run_arm(replace(cropped, flow_polar=polar).config(), name, data, args.epochs, workers)
        for name, polar in (("crop", False), ("crop+polar", True))
    }
    report("flow_polar_probe", "probe_flow_polar.py", args, sets, arms, RESULTS)


if __name__ == "__main__":
    main()
