"""CLV maths benchmark: fit BG/NBD and Gamma-Gamma, then CLV intervals, on simulated members.

    python bench/clv_fit.py [--members 10000 100000 1000000] [--draws 200] [--horizon 365]
                            [--discount 0.10] [--resolution continuous|day]

Members are simulated from known BG/NBD + Gamma-Gamma parameters (time in days, members
observed for 30-730 days) with ``orchestration.lib.clv.simulate_members``. For each size, in
a child process so its peak RSS is its own: ``fit_bgnbd``, ``fit_gamma_gamma`` and
``clv_with_interval`` (one-year horizon, 10 % a year discount, 200 draws). ``--resolution
day`` floors recency to whole days as the warehouse stores it, so identical (x, t_x, T)
rows compress; ``continuous`` (default) is the worst case, every member distinct.

Prints wall seconds and peak RSS per size; the total simulated CLV over the exact expectation
(MC/exact, should be ~1); the share of members whose expected CLV lies in [p10, p90] and the
share outside it because p90 = 0 (members almost surely gone: the mean of a zero-inflated
predictive distribution can exceed its p90); then the recovered parameters against the true.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np

from orchestration.lib.clv import clv_with_interval, fit_bgnbd, fit_gamma_gamma, simulate_members

TRUE = {"r": 0.6, "alpha": 30.0, "a": 0.8, "b": 3.0, "p": 6.0, "q": 4.0, "v": 20.0}
BGNBD = ("r", "alpha", "a", "b")
GAMMA_GAMMA = ("p", "q", "v")


def one_size(members: int, draws: int, horizon: float, annual_discount: float,
             resolution: str) -> dict:
    rng = np.random.default_rng(members)
    observed = rng.integers(30, 731, members).astype(np.float64)
    sim = simulate_members(observed, seed=members + 1, **TRUE)
    recency = np.floor(sim["recency"]) if resolution == "day" else sim["recency"]
    row: dict = {"members": members, "repeat_buyers": int((sim["frequency"] > 0).sum())}
    started = time.perf_counter()
    bg = fit_bgnbd(sim["frequency"], recency, sim["T"])
    row["fit_bgnbd_s"] = time.perf_counter() - started
    started = time.perf_counter()
    gg = fit_gamma_gamma(sim["frequency"], sim["monetary_value"])
    row["fit_gamma_gamma_s"] = time.perf_counter() - started
    per_day = (1.0 + annual_discount) ** (1.0 / 365.0) - 1.0
    started = time.perf_counter()
    out = clv_with_interval(bg, gg, sim["frequency"], recency, sim["T"], sim["monetary_value"],
                            horizon=horizon, discount_rate_per_unit=per_day, draws=draws)
    row["clv_s"] = time.perf_counter() - started
    # the child's ru_maxrss; the parent it inherits a peak from holds no data, so this is ours
    row["rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    row["fitted"] = {name: getattr(bg, name) for name in BGNBD}
    row["fitted"].update({name: getattr(gg, name) for name in GAMMA_GAMMA})
    row["clv_total"] = float(out["clv"].sum())
    row["clv_mc_total"] = float(out["clv_mc_mean"].sum())
    row["inside"] = float(((out["clv_p10"] <= out["clv"]) & (out["clv"] <= out["clv_p90"]))
                          .mean())
    row["above_zero_p90"] = float(((out["clv"] > out["clv_p90"]) & (out["clv_p90"] == 0))
                                  .mean())
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--draws", type=int, default=200)
    parser.add_argument("--horizon", type=float, default=365.0, help="days")
    parser.add_argument("--discount", type=float, default=0.10, help="annual rate")
    parser.add_argument("--resolution", choices=("continuous", "day"), default="continuous")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(one_size(args.members[0], args.draws, args.horizon, args.discount,
                                  args.resolution)))
        return
    rows = []
    for members in args.members:
        cmd = [sys.executable, __file__, "--child", "--members", str(members),
               "--draws", str(args.draws), "--horizon", str(args.horizon),
               "--discount", str(args.discount), "--resolution", args.resolution]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
        rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    print(f"CLV benchmark: simulated members, recency {args.resolution}, "
          f"{args.horizon:g}-day horizon, {args.discount:.0%}/year discount, "
          f"{args.draws} draws")
    print(f"{'members':>10}{'repeat':>10}{'fit_bgnbd s':>13}{'fit_gg s':>10}{'clv s':>9}"
          f"{'peak RSS MiB':>14}{'MC/exact':>10}{'in p10-p90':>12}{'p90=0<clv':>11}")
    for row in rows:
        print(f"{row['members']:>10,}{row['repeat_buyers']:>10,}{row['fit_bgnbd_s']:>13.2f}"
              f"{row['fit_gamma_gamma_s']:>10.2f}{row['clv_s']:>9.1f}{row['rss_mib']:>14,.0f}"
              f"{row['clv_mc_total'] / row['clv_total']:>10.4f}{row['inside']:>12.3f}"
              f"{row['above_zero_p90']:>11.3f}")
    print()
    print(f"{'parameter':<10}{'true':>8}" + "".join(f"{row['members']:>12,}" for row in rows))
    for name, true in TRUE.items():
        print(f"{name:<10}{true:>8g}" + "".join(f"{row['fitted'][name]:>12.4g}" for row in rows))


if __name__ == "__main__":
    main()
