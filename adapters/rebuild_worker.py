"""One partition of a parallel read-model rebuild, in its own interpreter.

    python -m adapters.rebuild_worker URL SCHEMA K PARTITIONS TARGET BATCH STOP

Started by ``adapters.readmodels.rebuild``; prints one JSON line per batch
applied (``{"done": n}``) and a last one with ``"finished"``. An error goes
to stderr with a non-zero exit code, which the parent raises.
"""
from __future__ import annotations

import json
import sys

from adapters.readmodels import rebuild_partition


def main(argv: list[str]) -> int:
    url, schema, k, partitions, target, batch_size, stop = argv
    rebuild_partition(url, schema or None, int(k), int(partitions), int(target), int(batch_size),
                      int(stop) or None,
                      lambda report: print(json.dumps(report), flush=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
