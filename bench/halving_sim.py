#!/usr/bin/env python3
"""bench/halving.sh's figures.

  halving_sim.py summary DIR CASE METHOD T0 T1 [FULL_EPOCHS]
      one line: the best trial's validation accuracy (results.csv), the
      epochs trained (and their percentage of FULL_EPOCHS, the full
      sweep's, when given), the wall time T1 - T0 and, for halving /
      hyperband, the idle core-seconds at the rung barriers, measured: for
      each round (rung K of every bracket), cores x (last end - first
      start) - the seconds the round's segments ran (trial-NNN/rung-K.csv).
  halving_sim.py epochs DIR
      the epochs the sweep in DIR trained.
  halving_sim.py replay DIR ETA MIN_EPOCHS CORES
      replays the full sweep in DIR (every trial's metrics.csv: each epoch's
      seconds and validation accuracy) on CORES workers as successive
      halving with synchronous rungs (what nntrain does) and as unordered
      ASHA (Li et al. 2020: a free worker promotes any trial in the top
      1/eta of those finished at a rung so far, else starts a new trial),
      and prints each one's idle core-seconds, makespan, epochs and winner.
"""
import csv
import glob
import os
import sys


def read_csv(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def trained(d):
    rows = read_csv(os.path.join(d, "results.csv"))
    if "epochs" in rows[0]:
        return sum(int(r["epochs"]) for r in rows)
    trials = sorted(glob.glob(os.path.join(d, "trial-*")))
    return sum(len(read_csv(os.path.join(t, "metrics.csv"))) for t in trials)


def summary(d, case, method, t0, t1, full=""):
    rows = read_csv(os.path.join(d, "results.csv"))
    best = float(rows[0]["eval_accuracy"])
    epochs = trained(d)
    share = "%5.1f%%" % (100.0 * epochs / int(full)) if full else "     -"
    idle = "-"
    recs = glob.glob(os.path.join(d, "trial-*", "rung-*.csv"))
    if recs:
        cores = len(os.sched_getaffinity(0))
        rounds = {}
        for p in recs:
            r = read_csv(p)[0]
            rounds.setdefault(int(r["rung"]), []).append((float(r["start"]), float(r["end"])))
        idle = 0.0
        for segs in rounds.values():
            span = max(e for _, e in segs) - min(s for s, _ in segs)
            idle += cores * span - sum(e - s for s, e in segs)
        idle = "%.0f" % idle
    print("%-7s %-18s %8.2f%% %7d %6s %8.0f %10s" % (case, method, 100 * best, epochs, share,
                                                     float(t1) - float(t0), idle), flush=True)


def rungs(E, m, eta):
    out, e = [], m
    while True:
        out.append(e)
        if e >= E:
            return out
        e = E if e > E // eta else e * eta


def schedule(jobs, cores, t0):
    """Greedy list scheduling from t0, longest first as nntrain orders a
    round: (end of the last, busy)."""
    free = [t0] * cores
    busy = 0.0
    for dur in sorted(jobs, reverse=True):
        i = min(range(cores), key=lambda k: free[k])
        free[i] += dur
        busy += dur
    return max(free), busy


def replay(d, eta, m, cores):
    trials = []
    for t in sorted(glob.glob(os.path.join(d, "trial-*"))):
        rows = read_csv(os.path.join(t, "metrics.csv"))
        trials.append(([float(r["seconds"]) for r in rows], [float(r["eval_accuracy"]) for r in rows]))
    n, E = len(trials), len(trials[0][0])
    R = rungs(E, m, eta)
    cost = lambda i, a, b: sum(trials[i][0][a:b])
    acc = lambda i, e: trials[i][1][e - 1]

    # synchronous: rung by rung, the best keep continue (ties: lower trial)
    members, keep, t, idle, epochs = list(range(n)), n, 0.0, 0.0, 0
    for k, e in enumerate(R):
        prev = R[k - 1] if k else 0
        end, busy = schedule([cost(i, prev, e) for i in members], cores, t)
        idle += cores * (end - t) - busy
        epochs += (e - prev) * len(members)
        t = end
        if k + 1 < len(R):
            keep = max(1, keep // eta)
            members = sorted(sorted(members, key=lambda i: (-acc(i, e), i))[:keep])
    sync_best = max(acc(i, E) for i in members)
    print("replay %s: %d trials of %d epochs, rungs %s, %d cores" % (d, n, E, R, cores))
    print("  synchronous rungs: makespan %7.0f s, idle %6.0f core-s (%4.1f%%), %d epochs, best %.2f%%"
          % (t, idle, 100 * idle / (cores * t), epochs, 100 * sync_best))

    # ASHA: events in time; a free worker promotes, else starts a new trial
    done = [set() for _ in R]      # trials finished at rung k
    promoted = [set() for _ in R]  # trials sent on from rung k
    workers = [0.0] * cores        # when each is free
    running = []                   # (end, worker, trial, rung)
    nxt, busy, epochs, now = 0, 0.0, 0, 0.0
    idle_workers = set(range(cores))
    while True:
        for w in sorted(idle_workers):
            job = None
            for k in range(len(R) - 2, -1, -1):
                fin = sorted(done[k], key=lambda i: (-acc(i, R[k]), i))
                top = fin[:len(fin) // eta]
                cand = [i for i in top if i not in promoted[k]]
                if cand:
                    promoted[k].add(cand[0])
                    job = (cand[0], k + 1)
                    break
            if job is None and nxt < n:
                job, nxt = (nxt, 0), nxt + 1
            if job is None:
                continue
            i, k = job
            prev = R[k - 1] if k else 0
            dur = cost(i, prev, R[k])
            busy += dur
            epochs += R[k] - prev
            running.append((now + dur, w, i, k))
            idle_workers.discard(w)
        if not running:
            break
        running.sort()
        end, w, i, k = running.pop(0)
        now = end
        done[k].add(i)
        idle_workers.add(w)
    top = done[-1]
    best = max(acc(i, E) for i in top) if top else float("nan")
    idle = cores * now - busy
    print("  unordered ASHA:    makespan %7.0f s, idle %6.0f core-s (%4.1f%%), %d epochs, best %.2f%%"
          % (now, idle, 100 * idle / (cores * now), epochs, 100 * best))


if __name__ == "__main__":
    if sys.argv[1] == "summary":
        summary(*sys.argv[2:8])
    elif sys.argv[1] == "epochs":
        print(trained(sys.argv[2]))
    else:
        replay(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
