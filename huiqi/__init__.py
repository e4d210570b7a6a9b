"""huiqi (惠企): a government support policy turned into working software.

The policy is data (``huiqi.catalogue``), read through one model (``huiqi.rules``),
served by a CLI (``huiqi.cli``) and a JSON API (``huiqi.api``).
"""

__version__ = "0.1.0"
