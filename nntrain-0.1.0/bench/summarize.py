#!/usr/bin/env python3
"""Summarise a bench/run.sh run: bench/summarize.py RAW_DIR OUT.md

RAW_DIR holds what run.sh collected:
  cases.txt                   "<case> <limit> <torch_mlp.py network arguments>"
  <case>.<threads>.<nntrain|torch>.<repeat>.rates   examples/s, one epoch a line
  peak.txt                    fma_peak output ("peak_gflops threads=T G")
  blas.txt, torch_version.txt, meta.txt ("key value" lines)
  nntrain_kernels.txt         "<case> <threads> <repeat> <kernels in nntrain's banner>"
  torch_cores.txt             "<case> <threads> <repeat> <OpenBLAS core> <threadpoolctl>"
Prints the table and writes it as Markdown to OUT.md. Standard library only.
"""

import glob
import os
import re
import statistics
import sys

WHO = ("nntrain", "torch")


def read(path, default=""):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return default


def parse_cases(raw):
    cases = []
    for line in read(os.path.join(raw, "cases.txt")).splitlines():
        fields = line.split()
        if len(fields) < 2:
            continue
        name, limit, args = fields[0], int(fields[1]), fields[2:]
        opts = dict(zip(args[0::2], args[1::2]))
        sizes = [int(s) for s in opts["--sizes"].split(",")]
        params = sum(a * b + b for a, b in zip(sizes, sizes[1:]))
        desc = (f"{'-'.join(map(str, sizes))} {opts['--hidden']}/{opts['--output']} "
                f"{opts['--cost']} b{opts['--batch']} lr {opts['--lr']}")
        if limit:
            desc += f", {limit} ex/epoch"
        cases.append({"name": name, "params": params, "desc": desc})
    return cases


def rates(raw, case, threads, who):
    vals = []
    for path in glob.glob(os.path.join(raw, f"{case}.{threads}.{who}.*.rates")):
        for line in read(path).splitlines():
            try:
                vals.append(float(line))
            except ValueError:
                pass
    return vals


def distinct(raw, name, col):
    """The distinct values of column `col` of RAW/name, in order of appearance."""
    seen = []
    for line in read(os.path.join(raw, name)).splitlines():
        fields = line.split()
        if len(fields) > col and fields[col] not in seen:
            seen.append(fields[col])
    return seen


def fmt(v, spec):
    return "-" if v is None else format(v, spec)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: summarize.py RAW_DIR OUT.md")
    raw, out_md = sys.argv[1], sys.argv[2]
    cases = parse_cases(raw)
    peak = {int(m.group(1)): float(m.group(2)) for m in
            re.finditer(r"^peak_gflops threads=(\d+) ([0-9.]+)", read(os.path.join(raw, "peak.txt")), re.M)}
    isa = re.search(r"^isa (\S+)", read(os.path.join(raw, "peak.txt")), re.M)
    isa = isa.group(1) if isa else None
    meta = dict(line.split(" ", 1) for line in read(os.path.join(raw, "meta.txt")).splitlines() if " " in line)
    threads = sorted({int(os.path.basename(p).split(".")[1]) for p in glob.glob(os.path.join(raw, "*.rates"))})

    # The paths really run: nntrain's banner and OpenBLAS's corename, per run.
    nn_used = distinct(raw, "nntrain_kernels.txt", 3)
    torch_used = distinct(raw, "torch_cores.txt", 3)
    tpc_used = distinct(raw, "torch_cores.txt", 4)
    nn_name = "+".join(nn_used) or meta.get("kernels", "?")
    torch_name = "+".join(torch_used) or meta.get("torch_core_expected", "?")
    title = (f"nntrain kernels: {nn_name} | torch: OpenBLAS {torch_name} | "
             f"peak: {isa or 'none'} FMA")

    header = ["case", "network", "threads", f"nntrain[{nn_name}] ex/s", f"torch[{torch_name}] ex/s",
              "nntrain/torch", "nntrain GFLOP/s", "torch GFLOP/s", f"peak[{isa or '-'}] GFLOP/s",
              "nntrain % peak", "torch % peak", "runs"]
    rows, med = [], {}
    for c in cases:
        for t in threads:
            m = {}
            n_runs = {}
            for who in WHO:
                v = rates(raw, c["name"], t, who)
                m[who] = statistics.median(v) if v else None
                n_runs[who] = len(v)
                med[(c["name"], t, who)] = m[who]
            if m["nntrain"] is None and m["torch"] is None:
                continue
            gf = {w: None if m[w] is None else 6 * c["params"] * m[w] / 1e9 for w in WHO}
            pk = peak.get(t)
            pct = {w: None if gf[w] is None or not pk else 100 * gf[w] / pk for w in WHO}
            ratio = m["nntrain"] / m["torch"] if m["nntrain"] and m["torch"] else None
            rows.append([c["name"], c["desc"], str(t), fmt(m["nntrain"], ".0f"), fmt(m["torch"], ".0f"),
                         fmt(ratio, ".2f"), fmt(gf["nntrain"], ".1f"), fmt(gf["torch"], ".1f"),
                         fmt(pk, ".1f"), fmt(pct["nntrain"], ".1f"), fmt(pct["torch"], ".1f"),
                         f"{n_runs['nntrain']}/{n_runs['torch']}"])

    speed_header = ["case", "threads", "nntrain speedup", "torch speedup"]
    speed_rows = []
    if len(threads) > 1:
        t0 = threads[0]
        for c in cases:
            for t in threads[1:]:
                s = {}
                for who in WHO:
                    a, b = med.get((c["name"], t0, who)), med.get((c["name"], t, who))
                    s[who] = b / a if a and b else None
                if any(s.values()):
                    speed_rows.append([c["name"], f"{t0}->{t}", fmt(s["nntrain"], ".2f"), fmt(s["torch"], ".2f")])

    tv = read(os.path.join(raw, "torch_version.txt")).split()
    torch_version = tv[1] if len(tv) > 1 else "?"
    kernels = meta.get("kernels", "?")
    if kernels == "portable":
        peak_note = (f"portable has no vector width of its own (nntrain's plain loops, vectorised "
                     f"only as far as the compiler flags allow): % peak is against the {isa or '?'} FMA peak")
    else:
        peak_note = f"% peak is against the {isa or '?'} FMA peak, the width of nntrain's {kernels} path"
    notes = [
        f"Date: {meta.get('date', '?')}; CPU: {meta.get('cpu', '?')}.",
        f"nntrain: {meta.get('nntrain', '?')}, `{meta.get('nntrain_version', '?')}`; "
        f"kernel path {kernels}, {meta.get('kernels_chosen', '?')}; "
        f"every run's banner said: kernels {nn_name}.",
        f"PyTorch {torch_version}, run as "
        f"`{meta.get('torch_env', '')} /usr/bin/python3 bench/torch_mlp.py ...`.",
        f"Torch's OpenBLAS: {meta.get('torch_match', '?')}; every run's "
        f"openblas_get_corename(): {torch_name}; threadpoolctl: {', '.join(tpc_used) or '?'}.",
        f"Torch BLAS: `{read(os.path.join(raw, 'blas.txt')).removeprefix('blas ') or '?'}`.",
        f"Each figure: median examples/s (training time only) over all epochs of "
        f"{meta.get('repeats', '?')} alternating runs x {meta.get('epochs', '?')} epochs "
        f"('runs' = epochs counted, nntrain/torch).",
        "GFLOP/s = 6 x parameters x examples/s / 1e9 (forward 2, backward 4 flops per weight "
        f"and example); {peak_note} (bench/fma_peak.c --path {kernels}, fp32, at the same "
        "thread count).",
    ]
    warn = read(os.path.join(raw, "blas_warnings.txt"))
    if warn:
        notes.append("WARNING: torch did not run on OpenBLAS (or on the expected core) in: " + "; ".join(warn.splitlines()))

    # plain text to stdout
    def text_table(hdr, body):
        widths = [max(len(r[i]) for r in [hdr] + body) for i in range(len(hdr))]
        lines = ["  ".join(h.ljust(w) for h, w in zip(hdr, widths))]
        lines.append("  ".join("-" * w for w in widths))
        for r in body:
            lines.append("  ".join(v.rjust(w) if i > 1 else v.ljust(w) for i, (v, w) in enumerate(zip(r, widths))))
        return "\n".join(lines)

    print()
    print(title)
    print()
    print(text_table(header, rows))
    if speed_rows:
        print()
        print(text_table(speed_header, speed_rows))
    print()
    for n in notes:
        print(n)

    def md_table(hdr, body):
        lines = ["| " + " | ".join(hdr) + " |",
                 "|" + "|".join("---" if i < 2 else "---:" for i in range(len(hdr))) + "|"]
        lines += ["| " + " | ".join(r) + " |" for r in body]
        return "\n".join(lines)

    with open(out_md, "w") as f:
        f.write(f"# nntrain ({nn_name}) vs PyTorch (OpenBLAS {torch_name})\n\n{title}\n\n")
        f.write(md_table(header, rows) + "\n")
        if speed_rows:
            f.write("\n## Thread scaling (examples/s ratio)\n\n" + md_table(speed_header, speed_rows) + "\n")
        f.write("\n## Notes\n\n" + "".join(f"- {n}\n" for n in notes))
        peak_line = ", ".join(f"{t} thread(s): {g:.1f} GFLOP/s" for t, g in sorted(peak.items()))
        if peak_line:
            f.write(f"- Measured fp32 FMA peak ({isa}): {peak_line}.\n")


if __name__ == "__main__":
    main()
