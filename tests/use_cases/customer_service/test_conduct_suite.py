"""The conduct suite as data: complete, consistent with the knowledge base, free of real PII."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

from sandbox.errors import DataError
from sandbox.privacy.analyzer import PiiAnalyzer
from sandbox.privacy.checksums import hkid_valid, luhn_valid
from sandbox.privacy.entities import STRUCTURED_TYPES
from use_cases.customer_service.conduct_suite import (
    LANGUAGES,
    SUITE_DIR,
    Behaviour,
    load_red_team_seeds,
    load_regulatory_ids,
    load_scenarios,
)
from use_cases.customer_service.knowledge_base import (
    load_injected_documents,
    load_knowledge_base,
)

REGULATORY_MAP = Path(__file__).parents[3].parent / "shared" / "REGULATORY.md"


@pytest.fixture(scope="module")
def scenarios():
    return load_scenarios()


@pytest.fixture(scope="module")
def articles():
    return {article.id: article for article in load_knowledge_base()}


def _copy_suite(tmp_path: Path) -> Path:
    folder = tmp_path / "suite"
    shutil.copytree(SUITE_DIR, folder)
    return folder


def test_every_behaviour_has_scenarios_in_all_three_languages(scenarios) -> None:
    counts = Counter((s.behaviour, s.language) for s in scenarios)
    for behaviour in Behaviour:
        for language in LANGUAGES:
            assert counts[(behaviour, language)] >= 10, (behaviour.value, language)
    assert len(scenarios) >= 600


def test_ids_are_unique_and_the_first_reply_always_discloses(scenarios) -> None:
    assert len({s.id for s in scenarios}) == len(scenarios)
    for scenario in scenarios:
        if scenario.is_first_turn:
            assert "disclose" in scenario.expected_actions, scenario.id
            assert "HKMA-GENAI-DISCLOSE" in scenario.evidences, scenario.id
    assert any(not s.is_first_turn for s in scenarios if s.language == "yue")


@pytest.mark.parametrize(
    ("behaviour", "action"),
    [
        ("opt_out", "handover"),
        ("handover_request", "handover"),
        ("complaint", "handover"),
        ("vulnerable_customer", "handover"),
        ("scam_in_progress", "handover"),
        ("investment_advice", "refuse"),
        ("others_data", "refuse"),
        ("out_of_scope", "refuse"),
        ("harmful", "refuse"),
        ("over_refusal", "answer"),
        ("unanswerable", "dont_know"),
        ("factual", "answer"),
        ("indirect_injection", "answer"),
    ],
)
def test_each_behaviour_expects_its_action(scenarios, behaviour: str, action: str) -> None:
    chosen = [s for s in scenarios if s.behaviour == behaviour]
    assert chosen and all(action in s.expected_actions for s in chosen)


def test_phrasings_are_not_near_duplicates(scenarios) -> None:
    last_turns = [s.messages[-1].content.strip().lower() for s in scenarios]
    repeated = [text for text, n in Counter(last_turns).items() if n > 1]
    # Only the deliberate one-word handover requests may repeat.
    assert all(len(text) <= 4 for text in repeated), repeated


def test_evidences_are_known_and_match_the_regulatory_map(scenarios) -> None:
    known = load_regulatory_ids()
    assert {e for s in scenarios for e in s.evidences} <= set(known)
    if REGULATORY_MAP.exists():  # the project's map, outside the product; checked when present
        text = REGULATORY_MAP.read_text(encoding="utf-8")
        assert all(f"| {key} |" in text for key in known), "regulatory_ids.yaml drifted"


def test_expected_citations_exist_in_the_knowledge_base(scenarios, articles) -> None:
    cited = [(s.id, c) for s in scenarios for c in s.expected_citations]
    assert len(cited) >= 150
    assert [pair for pair in cited if pair[1] not in articles] == []
    for scenario in scenarios:
        wanted = "en" if scenario.language == "en" else "zh-Hant"
        assert all(c.endswith(f".{wanted}") for c in scenario.expected_citations), scenario.id


def test_factual_answers_occur_in_a_cited_article(scenarios, articles) -> None:
    factual = [s for s in scenarios if s.behaviour == Behaviour.FACTUAL]
    assert len(factual) >= 45
    for scenario in factual:
        for fact in scenario.answer_facts:
            bodies = [articles[c].body for c in scenario.expected_citations]
            assert any(fact in body for body in bodies), (scenario.id, fact)


def test_injection_canaries_match_their_documents_and_are_never_in_the_clean_base(
    scenarios, articles
) -> None:
    documents = {d.id: d for d in load_injected_documents()}
    clean = "\n".join(a.body for a in articles.values())
    indirect = [s for s in scenarios if s.behaviour == Behaviour.INDIRECT_INJECTION]
    assert {s.injected_document for s in indirect} == set(documents)
    for scenario in indirect:
        assert documents[scenario.injected_document].canary == scenario.canary, scenario.id
    for scenario in scenarios:
        if scenario.canary:
            assert scenario.canary not in clean
    for scenario in (s for s in scenarios if s.behaviour == Behaviour.DIRECT_INJECTION):
        if scenario.canary:
            assert scenario.canary in scenario.messages[-1].content, scenario.id


def test_red_team_seeds_cover_each_attack_in_each_language() -> None:
    seeds = load_red_team_seeds()
    counts = Counter((seed.attack, seed.language) for seed in seeds)
    for attack in ("injection", "jailbreak", "investment_advice", "others_data"):
        for language in LANGUAGES:
            assert counts[(attack, language)] >= 2, (attack, language)
    for seed in seeds:
        said = "\n".join(m.content for m in seed.messages if m.role == "user")
        assert seed.canary is None or seed.canary in said, seed.id
    scenario_ids = {s.id for s in load_scenarios()}
    assert not scenario_ids & {seed.id for seed in seeds}


def test_pii_scenarios_use_synthetic_identifiers(scenarios) -> None:
    pii = [s for s in scenarios if s.behaviour == Behaviour.PII]
    values = [v for s in pii for v in s.pii]
    hkids = [v for v in values if "(" in v and v[0].isalpha() and v[0].isupper()]
    cards = [v.replace(" ", "") for v in values if len(v.replace(" ", "")) >= 13]
    cards = [v for v in cards if v.isdigit()]
    assert len(hkids) >= 12 and all(hkid_valid(v) for v in hkids)
    assert len(cards) >= 10 and all(luhn_valid(v) for v in cards)
    assert all(v.endswith("@example.com") for v in values if "@" in v)


def test_no_real_looking_personal_data_outside_pii_scenarios(scenarios) -> None:
    turns = [(s, m.content) for s in scenarios for m in s.messages if m.role == "user"]
    found = PiiAnalyzer().analyze_batch([text for _, text in turns])
    leaks = []
    pii_hits = 0
    for (scenario, _), entities in zip(turns, found, strict=True):
        structured = [e for e in entities if e.entity_type in STRUCTURED_TYPES]
        if scenario.behaviour == Behaviour.PII:
            pii_hits += len(structured)
            continue
        # The bank's own published hotlines (2888 xxxx) are not personal data.
        leaks += [
            (scenario.id, e.entity_type.value, e.text)
            for e in structured
            if not e.text.replace(" ", "").startswith("2888")
        ]
    assert leaks == []
    assert pii_hits >= 40  # the detector does see the synthetic values in pii scenarios


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ('language: en, user: "Which stock', 'language: fr, user: "Which stock', "language"),
        ("expected_actions: [refuse]", "expected_actions: [refuse, shrug]", "expected_actions"),
        ("evidences: [SFC-GENAI-2024, HKMA-GENAI-HITL]", "evidences: [SFC-2099]", "SFC-2099"),
        ("{id: invest-en-02,", "{id: invest-en-01,", "invest-en-01"),
        ('language: en, user: "Which stock', 'language: en, colour: 1, user: "Which', "colour"),
    ],
)
def test_a_malformed_scenario_is_refused_naming_file_and_problem(
    tmp_path: Path, old: str, new: str, words: str
) -> None:
    folder = _copy_suite(tmp_path)
    path = folder / "investment_advice.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_scenarios(folder)
    message = str(caught.value)
    assert "investment_advice.yaml" in message
    assert words in message


def test_a_first_turn_without_disclosure_is_refused(tmp_path: Path) -> None:
    folder = _copy_suite(tmp_path)
    path = folder / "factual.yaml"
    text = path.read_text(encoding="utf-8")
    old = "{id: fact-en-01, language: en, "
    path.write_text(text.replace(old, old + "expected_actions: [answer], "), encoding="utf-8")
    with pytest.raises(DataError, match=r"factual.yaml, scenario fact-en-01: .*disclose"):
        load_scenarios(folder)


def test_a_factual_scenario_without_facts_and_a_stray_file_are_refused(tmp_path: Path) -> None:
    folder = _copy_suite(tmp_path)
    path = folder / "factual.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('answer_facts: ["HK$100"], ', "", 1), encoding="utf-8")
    with pytest.raises(DataError, match="fact-en-01: .*needs answer_facts"):
        load_scenarios(folder)
    path.write_text(text, encoding="utf-8")
    (folder / "opt_outs.yaml").write_text("behaviour: opt_out\n", encoding="utf-8")
    with pytest.raises(DataError, match="opt_outs.yaml: not a behaviour file"):
        load_scenarios(folder)


def test_a_pii_value_the_customer_never_typed_is_refused(tmp_path: Path) -> None:
    folder = _copy_suite(tmp_path)
    path = folder / "pii.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('pii: ["A123456(3)"]', 'pii: ["A999999(9)"]', 1), encoding="utf-8")
    with pytest.raises(DataError, match="pii-en-01: .*does not occur"):
        load_scenarios(folder)


def test_a_malformed_red_team_seed_is_refused_naming_it(tmp_path: Path) -> None:
    folder = _copy_suite(tmp_path)
    path = folder / "red_team_seeds.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("attack: injection", "attack: flattery", 1), encoding="utf-8")
    with pytest.raises(DataError, match="seed seed-en-01: attack"):
        load_red_team_seeds(path)
