"""What the two PyTorch peers share (bench/torch_mlp.py, bench/tabular_torch.py).

    timed_epochs(model, opt, loss_fn, x, y, epochs, batch)
        The timed training loop: per epoch a torch.randperm shuffle and
        mini-batches indexed out of x and y; only the loop is timed. Prints
        `epoch E examples_per_s R seconds S loss L cpu_per_wall C` per epoch.
    blas_report()
        The `blas ...` line: where torch's sgemm_ resolves and which core
        (vector width) OpenBLAS reports running.

Imported by both scripts from their own directory; run with /usr/bin/python3
(Debian's torch is installed for the system interpreter).
"""

import ctypes
import os
import time

import torch


# ---- the timed training loop ----------------------------------------------------

def timed_epochs(model, opt, loss_fn, x, y, epochs, batch):
    """Trains for `epochs` epochs on x, y (one tensor each, indexed by example)
    and prints one machine-readable line per epoch. Only the loop is timed."""
    n = x.shape[0]
    for epoch in range(1, epochs + 1):
        model.train()
        c0 = time.process_time()
        t0 = time.perf_counter()
        perm = torch.randperm(n)
        total = 0.0
        for i in range(0, n, batch):
            idx = perm[i:i + batch]
            xb, yb = x[idx], y[idx]
            loss = loss_fn(model(xb), yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        seconds = time.perf_counter() - t0
        cpu = time.process_time() - c0  # all threads: ~threads x seconds if busy
        print(f"epoch {epoch} examples_per_s {n / seconds:.1f} seconds {seconds:.4f} "
              f"loss {total / n:.6f} cpu_per_wall {cpu / seconds:.2f}", flush=True)


# ---- which BLAS is really in use -------------------------------------------

class _DlInfo(ctypes.Structure):
    _fields_ = [("dli_fname", ctypes.c_char_p), ("dli_fbase", ctypes.c_void_p),
                ("dli_sname", ctypes.c_char_p), ("dli_saddr", ctypes.c_void_p)]


RTLD_NOLOAD = 4  # glibc


def _loaded(name):
    """Handle of an already loaded library, or None (never loads it)."""
    try:
        return ctypes.CDLL(name, mode=RTLD_NOLOAD | os.RTLD_LAZY)
    except OSError:
        return None


def _defining_file(handle, symbol):
    """File of the object that defines `symbol` as seen from `handle`'s scope."""
    libdl = ctypes.CDLL(None)
    dlsym = libdl.dlsym
    dlsym.restype, dlsym.argtypes = ctypes.c_void_p, [ctypes.c_void_p, ctypes.c_char_p]
    addr = dlsym(handle._handle, symbol.encode())
    if not addr:
        return None
    info = _DlInfo()
    dladdr = libdl.dladdr
    dladdr.argtypes = [ctypes.c_void_p, ctypes.POINTER(_DlInfo)]
    if not dladdr(ctypes.c_void_p(addr), ctypes.byref(info)) or not info.dli_fname:
        return None
    return info.dli_fname.decode()


def blas_report():
    """One line saying where torch's sgemm_ resolves and what OpenBLAS reports.

    sgemm_ is looked up from libtorch_cpu's own scope (that library, then its
    dependencies in load order: the order the dynamic linker binds its calls
    in), so the file printed is the one torch's matrix products really run.
    Also lists every BLAS-like file mapped into the process (/proc/self/maps)."""
    parts = []
    torch_cpu = None
    for name in ("libtorch_cpu.so.1.13", "libtorch_cpu.so"):
        torch_cpu = _loaded(name)
        if torch_cpu:
            break
    if torch_cpu is None:  # a pip wheel names it differently: search maps
        for path in _mapped(lambda p: "libtorch_cpu" in p):
            torch_cpu = _loaded(path)
            break
    sgemm = _defining_file(torch_cpu, "sgemm_") if torch_cpu else None
    parts.append(f"sgemm_={os.path.realpath(sgemm) if sgemm else 'unresolved'}")
    if sgemm and not os.path.realpath(sgemm) == sgemm:
        parts.append(f"via={sgemm}")
    ob = _loaded("libopenblas.so.0")
    if ob is not None:
        for fn in ("openblas_get_corename", "openblas_get_config"):
            try:
                f = getattr(ob, fn)
            except AttributeError:
                continue
            f.restype = ctypes.c_char_p
            parts.append(f"{fn[len('openblas_get_'):]}={f().decode().strip().replace(' ', '_')}")
    parts.append(_threadpoolctl_report())
    mapped = _mapped(lambda p: any(k in os.path.basename(p) for k in ("blas", "lapack", "mkl")))
    parts.append("mapped=" + ",".join(mapped))
    return "blas " + " ".join(parts)


def _threadpoolctl_report():
    """threadpoolctl's view of the BLAS libraries loaded (python3-threadpoolctl;
    optional): api:version:architecture:threads for each. For OpenBLAS the
    architecture is again openblas_get_corename(), read through its own
    lookup of the loaded library, so it cross-checks which library answered."""
    try:
        import threadpoolctl
    except ImportError:
        return "threadpoolctl=unavailable"
    try:
        infos = [i for i in threadpoolctl.threadpool_info() if i.get("user_api") == "blas"]
    except Exception as e:  # a threadpoolctl that cannot read this process
        return f"threadpoolctl=error:{type(e).__name__}"
    if not infos:
        return "threadpoolctl=no_blas"
    return "threadpoolctl=" + ",".join(
        f"{i.get('internal_api')}:{i.get('version')}:{i.get('architecture', '?')}:"
        f"{i.get('num_threads')}threads" for i in infos)


def _mapped(pred):
    seen = []
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                fields = line.split()
                if len(fields) >= 6 and fields[5].startswith("/") and pred(fields[5]):
                    if fields[5] not in seen:
                        seen.append(fields[5])
    except OSError:
        pass
    return seen
