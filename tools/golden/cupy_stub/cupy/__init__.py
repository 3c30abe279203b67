"""A stand-in for `cupy` so that `import dfloat11` works on a machine without CUDA.

Written for df11's golden-fixture tooling; it contains no CuPy code.  The official
`dfloat11/dfloat11.py` runs `cp.RawModule(path=...).get_function('decode')` when it is
imported, so that one call chain succeeds and yields a kernel object that refuses to run.
Everything else (cp.cuda, cp.asarray, ...) raises at once.  Compression must therefore be
called with check_correctness=False: the correctness check is the only GPU use on that path.
"""

__version__ = "0.0.0+df11-cpu-stub"

_MSG = ("cupy stub (tools/golden/cupy_stub): no GPU on this machine; {what} is unavailable. "
        "Call dfloat11.compress_model(..., check_correctness=False).")


class _Kernel:
    def __init__(self, name):
        self.name = name

    def __call__(self, *args, **kwargs):
        raise RuntimeError(_MSG.format(what=f"launching CUDA kernel {self.name!r}"))


class RawModule:
    def __init__(self, *args, **kwargs):
        self.path = kwargs.get("path")

    def get_function(self, name):
        return _Kernel(name)


def __getattr__(name):
    raise AttributeError(_MSG.format(what=f"cupy.{name}"))
