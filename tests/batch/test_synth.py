"""The synthetic registry: valid codes, plausible proportions, sparse events, same seed same bytes."""

from __future__ import annotations

from huiqi.batch.synth import generate, write
from huiqi.standards.divisions import validate_district
from huiqi.standards.industries import validate_industry
from huiqi.standards.uscc import validate_uscc


def test_same_seed_same_bytes(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    write(generate(3000, seed=5), a)
    write(generate(3000, seed=5), b)
    write(generate(3000, seed=6), c)
    for f in a.iterdir():
        assert f.read_bytes() == (b / f.name).read_bytes(), f.name
    assert (a / "entities.parquet").read_bytes() != (c / "entities.parquet").read_bytes()


def test_codes_are_valid_and_events_sparse():
    tables = generate(5000, seed=11)
    ents = tables["entities"].to_pylist()
    for e in ents:
        if e["credit_code"]:
            assert validate_uscc(e["credit_code"]) == e["credit_code"]
        validate_district(e["district"])
        if e["industry"]:
            validate_industry(e["industry"])
    kinds = [e["kind"] for e in ents]
    assert kinds.count("enterprise") / len(kinds) > 0.85
    sizes = [e["size_class"] for e in ents if e["size_class"]]
    assert sizes.count("micro") / len(sizes) > 0.7
    with_events = {r["entity_id"] for t in ("compute_claims", "recognitions", "vehicles", "scale_entries")
                   for r in tables[t].to_pylist()}
    assert len(with_events) / len(ents) < 0.15  # most entities have no event


def test_a_kind_share_can_be_raised_for_a_busier_city():
    """The replay's city may be busier with one kind than the schema's default (demo.yaml: event_shares)."""
    plain = generate(4000, 3)["compute_claims"]
    busy = generate(4000, 3, shares={"compute_claims": 0.05})["compute_claims"]
    owners = lambda t: len(set(t.column("entity_id").to_pylist()))  # noqa: E731
    assert owners(busy) > 5 * max(owners(plain), 1)
    assert generate(4000, 3)["entities"].equals(generate(4000, 3, shares={"compute_claims": 0.05})["entities"])


def test_progress_moves_through_every_table_and_changes_no_byte(tmp_path):
    """``huiqi synth`` shows its progress: each table drawn, then each written, in order, up to the total."""
    import io

    from huiqi.batch.stages import SYNTH_STAGES, Stages, by_step
    from huiqi.batch.synth import steps

    told: list[tuple[str, int, int]] = []
    tables = generate(2000, seed=4, progress=lambda stage, done, total: told.append((stage, done, total)))
    write(tables, tmp_path / "a", progress=lambda stage, done, total: told.append((stage, done, total)))
    write(generate(2000, seed=4), tmp_path / "b")
    assert [d for _, d, _ in told] == list(range(steps()))  # moves by one, from nothing to the last file
    assert {t for _, _, t in told} == {steps()} == {2 * len(tables)}
    assert [s for s, _, _ in told] == [f"生成 drawing {t}" for t in tables] + [f"写出 writing {t}" for t in tables]
    for f in (tmp_path / "a").iterdir():
        assert f.read_bytes() == (tmp_path / "b" / f.name).read_bytes(), f.name
    log = io.StringIO()  # not a terminal: a plain line per stage, then done
    with Stages(SYNTH_STAGES, stream=log, terminal=False) as progress:
        generate(2000, seed=4, progress=by_step(progress, SYNTH_STAGES))
    lines = [ln.split("] ", 1)[1] for ln in log.getvalue().splitlines()]
    assert lines == ["生成 drawing", "完成 done"]
    log = io.StringIO()
    with Stages(SYNTH_STAGES, stream=log, terminal=False) as progress:
        tick = by_step(progress, SYNTH_STAGES)
        write(generate(2000, seed=4, progress=tick), tmp_path / "c", progress=tick)
    assert [ln.split("] ", 1)[1] for ln in log.getvalue().splitlines()] == ["生成 drawing", "写出 writing", "完成 done"]
