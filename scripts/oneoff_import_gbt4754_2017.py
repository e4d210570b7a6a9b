"""ONE-OFF import, kept for provenance: builds huiqi/standards/data/gbt4754_2017.csv.

Input is oneoff_gbt4754_2017_extract.txt, a hand transcription (code + name, remarks dropped) of
repo zmshe/capital, src/utils/category.js at commit 0b8f1ae480aadd9f35aca2fd0efb934e9a7101e8.
The source omits the group (3-digit) record when a group has a single class; the standard gives such a
group the same name as its class, so the script synthesises it. Not part of the package; run once:

    python scripts/oneoff_import_gbt4754_2017.py
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE / "oneoff_gbt4754_2017_extract.txt"
OUT = HERE.parent / "huiqi" / "standards" / "data" / "gbt4754_2017.csv"
LEVEL = {1: "section", 2: "division", 3: "group", 4: "class"}


def main() -> int:
    rows: dict[str, dict[str, str]] = {}
    section = None
    for lineno, raw in enumerate(SRC.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        code, name = line.split(" ", 1)
        name = name.strip()
        if code in rows:
            raise SystemExit(f"line {lineno}: duplicate code {code}")
        if re.fullmatch(r"[A-T]", code):
            section = code
            rows[code] = {"code": code, "name_zh": name, "level": "section", "parent": "", "section": code}
            continue
        if not re.fullmatch(r"\d{2,4}", code) or section is None:
            raise SystemExit(f"line {lineno}: bad code {code!r}")
        parent = section if len(code) == 2 else code[: len(code) - 1]
        if len(code) == 4 and code[:3] not in rows:
            # single-class group missing from the source: same name as its class
            rows[code[:3]] = {"code": code[:3], "name_zh": name, "level": "group", "parent": code[:2],
                              "section": section}
        if parent not in rows:
            raise SystemExit(f"line {lineno}: parent {parent} of {code} not seen")
        rows[code] = {"code": code, "name_zh": name, "level": LEVEL[len(code)], "parent": parent, "section": section}

    ordered = sorted(rows.values(), key=lambda r: (r["section"], "" if r["level"] == "section" else r["code"]))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["code", "name_zh", "level", "parent"], extrasaction="ignore",
                           lineterminator="\n")
        w.writeheader()
        w.writerows(ordered)
    counts = {lvl: sum(1 for r in ordered if r["level"] == lvl) for lvl in LEVEL.values()}
    print(f"wrote {OUT} : {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
