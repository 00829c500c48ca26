"""The dunning policy file: every key validated with file:key errors and did-you-mean."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

import pytest

from collectctl.domain.dunning_policy import PolicyError, parse_policy
from collectctl.dunning_policy_file import load_policy

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "dunning.toml"

MINIMAL = """
[[sections.s.stages]]
category = "reminder"
offset_days = 7
"""


def parse(text: str):
    return parse_policy(tomllib.loads(text), "p.toml")


def error(text: str) -> str:
    with pytest.raises(PolicyError) as caught:
        parse(text)
    return str(caught.value)


def test_example_policy_loads():
    policy, sha = load_policy(EXAMPLE)
    assert len(sha) == 64
    assert policy.default == "standard"
    assert policy.start_on == date(2026, 1, 1)
    standard = policy.sections["standard"]
    assert [s.name for s in standard.stages] == ["courtesy", "reminder", "firm", "final"]
    assert standard.stages[0].offset_days == -3
    assert standard.min_balance == {"USD": 2500, "EUR": 2500, "GBP": 2000}
    assert standard.fallback_channel == "file"
    assert (standard.repeat_every_days, standard.max_repeats) == (14, 2)


def test_minimal_policy_defaults():
    policy = parse(MINIMAL)
    section = policy.sections["s"]
    assert policy.default == "s"
    assert policy.max_letters_per_run == 50
    assert section.catch_up == "next"
    assert section.min_gap_days == 7
    stage = section.stages[0]
    assert (stage.name, stage.template, stage.channel) == ("reminder", "reminder", "email")


def test_unknown_top_level_key_suggests_the_nearest():
    message = error("strat_on = 2026-01-01\n" + MINIMAL)
    assert message.startswith("p.toml:strat_on: unknown key (did you mean 'start_on'?)")


def test_unknown_stage_key_names_its_place():
    message = error(MINIMAL + "ofset_days = 3\n")
    assert "p.toml:sections.s.stages[1].ofset_days" in message
    assert "did you mean 'offset_days'?" in message


def test_bad_category_suggests():
    message = error(MINIMAL.replace('"reminder"', '"remnder"'))
    assert "sections.s.stages[1].category: 'remnder' is not one of" in message
    assert "did you mean 'reminder'?" in message


def test_negative_offset_only_for_courtesy():
    assert "only a courtesy stage" in error(MINIMAL.replace("= 7", "= -2"))
    policy = parse(MINIMAL.replace('"reminder"', '"courtesy"').replace("= 7", "= -2"))
    assert policy.sections["s"].stages[0].offset_days == -2


def test_stages_must_climb():
    text = MINIMAL + '[[sections.s.stages]]\ncategory = "firm"\noffset_days = 7\n'
    assert "sections.s.stages[2].offset_days: 7 must be later" in error(text)
    softer = MINIMAL.replace('"reminder"', '"firm"') + (
        '[[sections.s.stages]]\ncategory = "reminder"\noffset_days = 9\n'
    )
    assert "a ladder never softens" in error(softer)


def test_duplicate_stage_names():
    text = (
        MINIMAL + '[[sections.s.stages]]\nname = "reminder"\ncategory = "firm"\noffset_days = 9\n'
    )
    assert "stage name 'reminder' is used twice" in error(text)


def test_min_balance_checks_currency_and_precision():
    assert "sections.s.min_balance.USX" in error(MINIMAL + '[sections.s.min_balance]\nUSX = "1"\n')
    assert "min_balance.JPY" in error(MINIMAL + '[sections.s.min_balance]\nJPY = "1.5"\n')
    assert "as a string" in error(MINIMAL + "[sections.s.min_balance]\nUSD = 1.5\n")
    ok = parse(MINIMAL + '[sections.s.min_balance]\nusd = "10"\n')
    assert ok.sections["s"].min_balance == {"USD": 1000}


def test_max_repeats_needs_an_interval():
    assert "needs repeat_every_days" in error(
        MINIMAL.replace("[[", "[sections.s]\nmax_repeats = 2\n[[", 1)
    )


def test_catch_up_values():
    text = '[sections.s]\ncatch_up = "lates"\n' + MINIMAL
    assert "did you mean 'latest'?" in error(text)


def test_default_is_required_with_two_sections_and_must_exist():
    two = MINIMAL + MINIMAL.replace("sections.s.", "sections.t.")
    assert "p.toml:default: is required" in error(two)
    assert "did you mean 's'?" in error('default = "ss"\n' + two)
    assert parse('default = "t"\n' + two).default == "t"


def test_assign_rules_are_checked():
    assert "assign[1].section: no [sections.x]" in error(
        '[[assign]]\nsection = "x"\nkind = "consumer"\n' + MINIMAL
    )
    assert "needs at least one of kind" in error('[[assign]]\nsection = "s"\n' + MINIMAL)
    assert "did you mean 'consumer'?" in error(
        '[[assign]]\nsection = "s"\nkind = "consumr"\n' + MINIMAL
    )
    both = '[[assign]]\nsection = "s"\nmanual_only = true\nkind = "consumer"\n' + MINIMAL
    assert "not both" in error(both)
    assert "customers: must be a list" in error(
        '[[assign]]\nsection = "s"\ncustomers = "C1"\n' + MINIMAL
    )


def test_assignment_by_kind_currency_customer_and_manual_only():
    two = MINIMAL + MINIMAL.replace("sections.s.", "sections.t.")
    text = (
        'default = "s"\nmanual_only = ["M1"]\n'
        '[[assign]]\ncustomers = ["VIP"]\nmanual_only = true\n'
        '[[assign]]\nkind = "consumer"\nsection = "t"\n'
        '[[assign]]\ncurrency = "eur"\nsection = "t"\n' + two
    )
    policy = parse(text)
    assert policy.assign("M1", "business", "USD") == (None, "manual_only")
    assert policy.assign("VIP", "business", "USD") == (None, "assign[1]")
    section, rule = policy.assign("C1", "consumer", "USD")
    assert (section.name if section else None, rule) == ("t", "assign[2]")
    section, rule = policy.assign("C1", "business", "EUR")
    assert (section.name if section else None, rule) == ("t", "assign[3]")
    section, rule = policy.assign("C1", "business", "USD")
    assert (section.name if section else None, rule) == ("s", "default")


def test_start_on_must_be_a_date():
    assert "p.toml:start_on: must be a TOML date" in error('start_on = "2026-01-01"\n' + MINIMAL)


def test_no_sections():
    assert "p.toml:sections: the policy needs at least one" in error("")


def test_unreadable_and_broken_files(tmp_path):
    with pytest.raises(PolicyError, match="cannot read the policy file"):
        load_policy(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("sections = [", encoding="utf-8")
    with pytest.raises(PolicyError, match=r"bad\.toml"):
        load_policy(bad)


def test_channels_must_be_installed_ones():
    installed = ["email", "file", "stdout"]
    text = '[sections.s]\nchannel = "fax"\n' + MINIMAL
    with pytest.raises(PolicyError) as caught:
        parse_policy(tomllib.loads(text), "p.toml", installed)
    assert str(caught.value).startswith("p.toml:sections.s.channel: 'fax' is not one of email")
    stage = MINIMAL + 'channel = "emial"\n'
    with pytest.raises(PolicyError, match=r"stages\[1\]\.channel: .*did you mean 'email'"):
        parse_policy(tomllib.loads(stage), "p.toml", installed)
    fallback = '[sections.s]\nfallback_channel = "paper"\n' + MINIMAL
    with pytest.raises(PolicyError, match=r"sections\.s\.fallback_channel: 'paper'"):
        parse_policy(tomllib.loads(fallback), "p.toml", installed)
    plugin = parse_policy(tomllib.loads(text), "p.toml", [*installed, "fax"])
    assert plugin.sections["s"].stages[0].channel == "fax"


def test_a_policy_saved_with_a_byte_order_mark_loads(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + EXAMPLE.read_bytes())
    policy, _ = load_policy(path)
    assert policy.default == "standard"
