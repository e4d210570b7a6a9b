"""The entry point for ``spark-submit``: the same command line as ``huiqi`` (``screen --engine spark …``).

``spark-submit …/huiqi/batch/spark_main.py screen --engine spark --as-of … --input-database … --output …``
(docs/batch.md). Run as a file, Python puts this folder first on the path; it is taken off so that module names
here shadow nothing.
"""

import os
import sys

if __name__ == "__main__":  # pragma: no cover - run by spark-submit
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    from huiqi.cli import main

    main()
