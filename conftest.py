# The checkout's library and host tools by the names the tests use (qssl, quecsim,
# testnet), whatever is installed: the installed distribution names the tools
# qssl_host.quecsim and qssl_host.testnet. PYTHONPATH carries the same to the Python
# subprocesses tests start (python -m quecsim, python -m testnet).
import os
import sys

_ROOT = os.path.dirname(os.path.abspath(__file__))
_PATHS = [os.path.join(_ROOT, "lib"), os.path.join(_ROOT, "tools")]
for _p in reversed(_PATHS):
    if _p not in sys.path:
        sys.path.insert(0, _p)
os.environ["PYTHONPATH"] = os.pathsep.join(
    _PATHS + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p not in _PATHS])
