"""synonyms.yaml is policy data: the loader refuses a word pointing at words the text does not contain."""

from __future__ import annotations

from pathlib import Path

import pytest

from huiqi.rules.loader import PolicyDataError, load_policy


def _write(folder: Path, text: str) -> None:
    (folder / "synonyms.yaml").write_text(text, encoding="utf-8")


def test_the_shipped_synonyms_load(policy_copy):
    assert load_policy(policy_copy).synonyms["工信局"] == ("市工业和信息化局",)


def test_a_target_not_in_the_text_is_refused(policy_copy):
    _write(policy_copy, "工信局: [市工业和信息化局]\n买车补贴: [购车补贴券]\n")
    with pytest.raises(PolicyDataError) as e:
        load_policy(policy_copy)
    assert "synonyms.yaml: 买车补贴: '购车补贴券' is not verbatim in source.zh.txt" in str(e.value)


@pytest.mark.parametrize("text", ["- 工信局\n", "工信局: []\n", "工信局: [1]\n", "工信局: {a: b}\n"])
def test_a_malformed_file_is_refused(policy_copy, text):
    _write(policy_copy, text)
    with pytest.raises(PolicyDataError, match="synonyms.yaml"):
        load_policy(policy_copy)


def test_no_file_no_synonyms(policy_copy):
    (policy_copy / "synonyms.yaml").unlink()
    policy = load_policy(policy_copy)
    assert policy.synonyms == {} and len(policy.measures) == 30


def test_synonyms_do_not_change_the_version(policy_copy):
    before = load_policy(policy_copy).version
    _write(policy_copy, "工信局: [市工业和信息化局]\n")
    assert load_policy(policy_copy).version == before
