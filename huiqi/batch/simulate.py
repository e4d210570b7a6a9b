"""What-if simulation: ``huiqi simulate REGISTRY --set m07.compute_voucher.rate=0.40 ...``.

The finance bureau's question before changing a rate: who would gain or lose, how many yuan,
and when would each pool run out. The registry is read and checked once, in one process; the rules run
on the same typed facts for the baseline, and for the scenario only on the provisions the change
touches (:func:`changed_provisions`) — every step across rows holds the claims of one provision
together, so the others' rows are the baseline's — and a what-if costs little more than one screen.

A parameter is named ``<provision id>.<parameter>`` (``m07.compute_voucher.rate``) and a pool by
its id (``m07.compute_voucher_pool``). The new value replaces the value in every dated period and
is checked like a value in a policy file (a ratio is a fraction, money exact to the fen). The
scenario policy gets its own version, so its answers never mix with the baseline's.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from huiqi.batch.compile import screen_sql
from huiqi.batch.screen import connect, read_and_check
from huiqi.batch.stages import SIMULATE_STAGES, tell, watching
from huiqi.rules.changes import Change, ChangeError
from huiqi.rules.loader import Policy


OverrideError = ChangeError  # a --set that names an unknown figure or gives a value its unit refuses


def with_overrides(policy: Policy, overrides: dict[str, str]) -> Policy:
    """``policy`` with figures replaced in every period and pool totals changed: :meth:`Policy.with_changes`,
    the same operation an administrator's dated change goes through, with the same value parser."""
    return policy.with_changes([Change(k, v) for k, v in overrides.items()], tag="sim")


def changed_provisions(policy: Policy, scenario: Policy) -> frozenset[str]:
    """The provisions whose compiled plan differs between ``policy`` and ``scenario`` (their figures, period or
    measure); all of them when the policy's general part differs. A pool total changes no provision's rows."""
    from huiqi.engine.plan import plan_for

    base = {pl.provision.id: pl for pl in plan_for(policy)}
    if policy.header != scenario.header:
        return frozenset(base)
    return frozenset(pl.provision.id for pl in plan_for(scenario)
                     if (b := base.get(pl.provision.id)) is None
                     or (b.provision, b.period, b.measure.id) != (pl.provision, pl.period, pl.measure.id))


@dataclass
class Simulation:
    rows: list[dict]
    pools: list[dict]
    seconds: dict[str, float]
    out: Path


PROVISION_TOTALS = """
SELECT provision_id, count(DISTINCT entity_id) FILTER (WHERE status = 'eligible') AS recipients,
       CAST(COALESCE(sum(amount_fen) FILTER (WHERE status = 'eligible'), 0) AS BIGINT) AS amount_fen
FROM {table} GROUP BY provision_id
"""
POOL_RUN_OUT = """
WITH q AS (
  SELECT s.pool_id, s.decision_date, sum(s.amount_fen) OVER (PARTITION BY s.pool_id ORDER BY s.decision_date, s.entity_id,
         s.event_id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running
  FROM {table} s WHERE s.status = 'eligible' AND s.pool_id IS NOT NULL AND s.amount_fen IS NOT NULL)
SELECT pool_id, max(running) AS demand_fen, min(decision_date) FILTER (WHERE running > ?) AS runs_out
FROM q WHERE pool_id = ? GROUP BY pool_id
"""


def simulate(policy: Policy, registry: Path, overrides: dict[str, str], as_of: dt.date, out: Path,
             strategy: str | None = None, encoding: str = "utf-8", progress=None) -> Simulation:
    """Baseline and scenario on the same facts; simulation.csv (``encoding``: utf-8 with a BOM, or gbk), .png, .html.
    ``progress`` is told of each stage (:data:`huiqi.batch.stages.SIMULATE_STAGES`) with its row counts."""
    read, check, baseline, changed_stage, write = SIMULATE_STAGES
    scenario = with_overrides(policy, overrides)
    seconds: dict[str, float] = {}
    t = time.perf_counter()
    con = connect()
    read_and_check(con, policy, registry, progress)
    tell(progress, check, rows={"主体 entities": con.execute("SELECT count(*) FROM entities_f").fetchone()[0]})
    seconds["read_and_check"] = time.perf_counter() - t
    t = time.perf_counter()
    tell(progress, baseline)
    with watching(con, progress, baseline):
        con.execute("CREATE OR REPLACE TABLE baseline AS " + screen_sql(policy, as_of, strategy, referral_rows=False))
    tell(progress, baseline, rows={"结果行 rows": con.execute("SELECT count(*) FROM baseline").fetchone()[0]})
    seconds["baseline_rules"] = time.perf_counter() - t
    t = time.perf_counter()
    changed = changed_provisions(policy, scenario)
    tell(progress, changed_stage, rows={"调整的条款 provisions changed": len(changed)})
    if changed:
        with watching(con, progress, changed_stage):
            con.execute("CREATE OR REPLACE TABLE scenario_changed AS "
                        + screen_sql(scenario, as_of, strategy, referral_rows=False, only=changed))
    else:
        con.execute("CREATE OR REPLACE TABLE scenario_changed AS SELECT * FROM baseline WHERE FALSE")
    con.execute("CREATE OR REPLACE TEMP TABLE changed_ids AS SELECT unnest(?::VARCHAR[]) AS provision_id", [sorted(changed)])
    con.execute("""CREATE OR REPLACE VIEW scenario AS
                   SELECT * FROM baseline WHERE provision_id NOT IN (SELECT provision_id FROM changed_ids)
                   UNION ALL SELECT * FROM scenario_changed""")
    seconds["scenario_rules"] = time.perf_counter() - t

    base = {r[0]: r[1:] for r in con.execute(PROVISION_TOTALS.format(table="baseline")).fetchall()}
    scen = {r[0]: r[1:] for r in con.execute(PROVISION_TOTALS.format(table="scenario")).fetchall()}
    rows = []
    for p in policy.provisions():
        b, s = base.get(p.id, (0, 0)), scen.get(p.id, (0, 0))
        if b == (0, 0) and s == (0, 0):
            continue
        rows.append({"provision_id": p.id, "title_zh": p.title_zh, "recipients_before": b[0], "recipients_after": s[0],
                     "recipients_change": s[0] - b[0], "yuan_before": Decimal(b[1]) / 100, "yuan_after": Decimal(s[1]) / 100,
                     "yuan_change": Decimal(s[1] - b[1]) / 100})
    pools = []
    for m_base, m_scen in zip(policy.measures, scenario.measures):
        for pb, ps in zip(m_base.pools, m_scen.pools):
            entry = {"pool_id": pb.id, "name_zh": pb.name_zh}
            for label, table, pool in (("before", "baseline", pb), ("after", "scenario", ps)):
                total_fen = int(pool.total * 100)
                r = con.execute(POOL_RUN_OUT.format(table=table), [total_fen, pool.id]).fetchone()
                entry[f"total_{label}"] = pool.total
                entry[f"demand_{label}"] = Decimal(r[1]) / 100 if r else Decimal(0)
                entry[f"runs_out_{label}"] = r[2] if r else None
            pools.append(entry)
    con.close()
    tell(progress, write)
    out.mkdir(parents=True, exist_ok=True)
    sim = Simulation(rows, pools, seconds, out)
    _write(sim, overrides, as_of, encoding)
    return sim


CSV_COLUMNS = {"provision_id": "条款", "title_zh": "条款名称", "recipients_before": "受益主体数（调整前）",
               "recipients_after": "受益主体数（调整后）", "recipients_change": "受益主体数变化",
               "yuan_before": "调整前金额（元）", "yuan_after": "调整后金额（元）", "yuan_change": "金额变化（元）"}


def _csv_value(key: str, value):
    from huiqi import exports

    return exports.yuan(int(value * 100)) if key.startswith("yuan_") and value is not None else value


def _write(sim: Simulation, overrides: dict[str, str], as_of: dt.date, encoding: str = "utf-8") -> None:
    """simulation.csv as the screen's summaries are written: Chinese headers, yuan with two decimals."""
    from huiqi import exports

    exports.write_csv_file(sim.out / "simulation.csv", list(CSV_COLUMNS.values()),
                           ([_csv_value(k, r.get(k)) for k in CSV_COLUMNS] for r in sim.rows), encoding)
    png = _chart(sim.rows)
    (sim.out / "simulation.png").write_bytes(png)
    (sim.out / "simulation.html").write_text(_html(sim, overrides, as_of, png), encoding="utf-8")


def _register_cjk_fonts() -> None:
    """Matplotlib's font cache may predate the CJK fonts (installed later by apt): add them by path."""
    import glob

    from matplotlib import font_manager

    if any(f.name.startswith("Noto Sans CJK") for f in font_manager.fontManager.ttflist):
        return
    for path in sorted(glob.glob("/usr/share/fonts/opentype/noto/NotoSansCJK-*.ttc")):
        font_manager.fontManager.addfont(path)


def _chart(rows: list[dict]) -> bytes:
    """Bar chart of the change in yuan by provision (CJK font where installed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    _register_cjk_fonts()
    plt.rcParams["font.sans-serif"] = ["Noto Sans CJK SC", "Noto Sans CJK JP", "WenQuanYi Zen Hei", "DejaVu Sans"]
    plt.rcParams["axes.unicode_minus"] = False
    changed = [r for r in rows if r["yuan_change"] != 0] or rows[:10]
    labels = [f"{r['provision_id'].split('.')[0]} {r['title_zh'][:14]}" for r in changed]
    values = [float(r["yuan_change"]) / 10_000 for r in changed]  # 万元, for the axis only
    fig, ax = plt.subplots(figsize=(9, max(2.5, 0.45 * len(changed) + 1)))
    ax.barh(labels, values, color=["#c0392b" if v > 0 else "#2874a6" for v in values])
    ax.set_xlabel("测算金额变化（万元） / change (10,000 yuan)")
    ax.set_title("参数调整对各条款的影响 / effect of the change by provision")
    ax.axvline(0, color="#555", linewidth=0.8)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    return buf.getvalue()


def _html(sim: Simulation, overrides: dict[str, str], as_of: dt.date, png: bytes) -> str:
    def yuan(v) -> str:
        return f"¥{Decimal(v):,.2f}"

    rows = "".join(
        f"<tr><td>{html.escape(r['provision_id'])}</td><td>{html.escape(r['title_zh'])}</td>"
        f"<td>{r['recipients_before']}</td><td>{r['recipients_after']}</td><td>{r['recipients_change']:+d}</td>"
        f"<td>{yuan(r['yuan_before'])}</td><td>{yuan(r['yuan_after'])}</td><td>{yuan(r['yuan_change'])}</td></tr>"
        for r in sim.rows)
    pools = "".join(
        f"<tr><td>{html.escape(p['name_zh'])}</td><td>{yuan(p['total_before'])} → {yuan(p['total_after'])}</td>"
        f"<td>{yuan(p['demand_before'])} → {yuan(p['demand_after'])}</td>"
        f"<td>{p['runs_out_before'] or '未用尽'} → {p['runs_out_after'] or '未用尽'}</td></tr>" for p in sim.pools)
    sets = "、".join(f"{html.escape(k)} = {html.escape(v)}" for k, v in overrides.items())
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>政策参数模拟</title>
<style>body{{font-family:"Noto Sans CJK SC",sans-serif;margin:1.5rem}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:.3rem .6rem;text-align:right}}td:nth-child(-n+2){{text-align:left}}</style></head>
<body><h1>政策参数模拟 / What-if</h1><p>计算日期 {as_of} · 调整：{sets}</p>
<img alt="各条款测算金额变化" src="data:image/png;base64,{base64.b64encode(png).decode()}">
<h2>按条款 / by provision</h2><table><tr><th>条款</th><th>名称</th><th>受益主体（前）</th><th>（后）</th><th>变化</th>
<th>金额（前）</th><th>（后）</th><th>变化</th></tr>{rows}</table>
<h2>资金池 / pools</h2><table><tr><th>资金池</th><th>总额</th><th>申请需求</th><th>用尽日期</th></tr>{pools}</table>
</body></html>"""
