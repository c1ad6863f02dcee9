"""Process-wide tuning for a server that trains several networks at once, in threads.

``limit_blas_threads`` keeps each job's matrix products to one core; ``release_free_memory``
hands memory a finished run freed back to the operating system. Both act on the whole
process (NumPy's BLAS, the C allocator), not on one job, and both are no-ops where the
platform offers nothing to tune: they return whether they did something.
"""

from __future__ import annotations

import ctypes

from threadpoolctl import threadpool_limits


def limit_blas_threads(threads: int) -> bool:
    """Cap the threads OpenBLAS (NumPy's matrix library) uses, process-wide; True if it could.

    Each training job then uses one core, so ``max_concurrent`` jobs fill that many cores.
    Why it matters: a minibatch product is small (100 x 784 x 128), and on a busy 2-core
    machine OpenBLAS's spinning worker threads fight the other jobs, the web server and each
    other; here one thread trained the fast preset about 7x faster than two. threadpoolctl
    finds the BLAS NumPy loaded (OpenBLAS, MKL or BLIS) and calls its own thread setter;
    with none of them (e.g. macOS Accelerate) nothing changes and this returns False."""
    limiter = threadpool_limits(limits=int(threads), user_api="blas")  # not a `with`: the cap stays
    return bool(limiter.get_original_num_threads().get("blas"))


def release_free_memory() -> bool:
    """Hand memory that was freed back to the OS (glibc's ``malloc_trim``; elsewhere a no-op).

    A run's temporaries are freed when it ends, but glibc keeps the pages in the training
    thread's arena: measured here, the process grew ~26 MB over a few runs without this
    and stayed flat with it. Hosting limits count resident memory, so give it back."""
    try:
        return bool(ctypes.CDLL("libc.so.6").malloc_trim(0))
    except (OSError, AttributeError):
        return False
