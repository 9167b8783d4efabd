"""Checks whose right answer cannot be guessed from its shape: length and position rules (no database)."""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lessons.catalog import (
    MAX_ANSWER_POSITION_SHARE,
    MAX_LONGEST_ANSWER_SHARE,
    REQUIRED_SECTIONS,
    CatalogError,
    CatalogLoad,
    CategorySpec,
    CheckSpec,
    LessonSpec,
    answer_is_longest,
    answer_position_problems,
    catalog_problems,
    catalog_questions,
    load_catalog,
    parse_categories,
    question_key,
    validate_lesson,
)
from lessons.generation import BankError, compose_lessons, load_bank
from lessons.generation import generator as gen

CATALOG_ROOT = Path(__file__).resolve().parents[2] / "lessons" / "catalog"
CATEGORY_SLUGS = [c.slug for c in parse_categories(CATALOG_ROOT / "categories.yaml")]
ALL_CELLS = [(c, d) for c in CATEGORY_SLUGS for d in range(1, 6)]
FILLER = ("Look closely at the subject and notice how each shape meets its neighbour before you "
          "make a single mark on the page today. ") * 4  # 88 words per section


def fair(answer: int = 1) -> CheckSpec:
    """Right answer at ``answer`` and in the middle of the lengths: never the longest choice."""
    others = iter(["Short", "The longest choice of all three"])
    choices = tuple("A middling one" if i == answer else next(others) for i in range(3))
    return CheckSpec("Why?", choices, answer, "Because.")


def tell(answer: int = 1) -> CheckSpec:
    """Right answer padded with qualifications, distractors short: the shape gives it away."""
    choices = ["No", "Maybe", "Yes"]
    choices[answer] = "Yes, because the technique trains the eye to follow the real edge"
    return CheckSpec("Why?", tuple(choices), answer, "Because.")


def lesson(*checks: CheckSpec, slug: str = "drawing-fair-checks") -> LessonSpec:
    body = "\n\n".join(f"## {name}\n\n{FILLER}" for name in REQUIRED_SECTIONS)
    return LessonSpec(slug=slug, title=slug.replace("-", " ").title(), category="drawing", difficulty=2,
                      style="visual", minutes=20, summary="A lesson written only for the test suite.",
                      tags=("line",), prerequisites=(), checks=checks, body=body)


def reason(spec: LessonSpec) -> str:
    with pytest.raises(CatalogError) as info:
        validate_lesson(spec, categories={"drawing"}, source="drawing/x.md")
    assert info.value.source == "drawing/x.md"
    return info.value.reason


def catalog_of(*answers: int, choices: int = 3) -> CatalogLoad:
    """One lesson per answer index, each with one check whose lengths hide the answer."""
    lessons = []
    for i, answer in enumerate(answers):
        texts = [f"Choice {'x' * (5 + k)}" for k in range(choices)]  # strictly growing lengths
        if answer == choices - 1:
            texts[0], texts[-1] = texts[-1], texts[0]
        check = CheckSpec(f"Question {i}?", tuple(texts), answer, "Because.")
        assert not answer_is_longest(check)
        lessons.append(lesson(check, slug=f"drawing-lesson-{i}"))
    return CatalogLoad(categories=[CategorySpec("drawing", "Drawing", "D", 1)], lessons=lessons)


# --- the length rule, one lesson -------------------------------------------------------------

def test_lesson_whose_answer_is_the_longest_choice_in_most_checks_is_rejected_naming_the_rule():
    why = reason(lesson(tell(0), fair(2), tell(1)))
    assert why.startswith("the right answer is the longest choice (or tied for it) in 2 of 3 checks "
                          "(checks[0], checks[2]); vary the lengths so the answer cannot be guessed from its shape")


def test_lesson_that_varies_the_lengths_is_accepted():
    validate_lesson(lesson(fair(0), tell(1), fair(2)), categories={"drawing"})


@pytest.mark.parametrize(("checks", "accepted"), [
    ((tell(),), False),
    ((fair(),), True),
    ((tell(), tell()), False),
    ((tell(), fair()), True),
    ((tell(), fair(), tell()), False),
    ((fair(), tell(), fair()), True),
])
def test_at_most_half_of_a_lessons_checks_may_have_the_answer_longest(checks, accepted):
    spec = lesson(*checks)
    if accepted:
        validate_lesson(spec, categories={"drawing"})
    else:
        assert "cannot be guessed from its shape" in reason(spec)


def test_a_tie_for_longest_counts_but_choices_of_one_length_give_nothing_away():
    assert answer_is_longest(CheckSpec("Q?", ("Tilt the same way", "Tilt opposite way", "Stay level"), 1, "E"))
    assert not answer_is_longest(CheckSpec("Q?", ("Boxes 1, 4 and 7", "Boxes 1, 3 and 5"), 0, "E"))
    assert "in 1 of 1 check (checks[0])" in reason(lesson(CheckSpec("Q?", ("Red", "Blue", "Teal"), 1, "E")))


def test_the_length_rule_runs_after_the_field_rules():
    out_of_range = CheckSpec("Q?", ("No", "Yes, because of a long reason"), 5, "E")
    assert "out of range" in reason(lesson(out_of_range))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.lists(st.integers(min_value=1, max_value=80), min_size=2, max_size=5),
                          st.integers(min_value=0, max_value=4)), min_size=1, max_size=3))
def test_length_rule_rejects_exactly_when_more_than_half_the_answers_are_longest(raw):
    checks = []
    for i, (lengths, answer) in enumerate(raw):
        choices = tuple(f"{k}" + "-" * (n - 1) for k, n in enumerate(lengths))  # distinct, len n
        checks.append(CheckSpec(f"Q{i}?", choices, answer % len(choices), "E"))
    longest = [i for i, c in enumerate(checks)
               if len(c.choices[c.answer]) == max(lengths := [len(x) for x in c.choices]) > min(lengths)]
    spec = lesson(*checks)
    if len(longest) > MAX_LONGEST_ANSWER_SHARE * len(checks):
        assert f"in {len(longest)} of {len(checks)} check" in reason(spec)
    else:
        validate_lesson(spec, categories={"drawing"})


# --- the position rule, the whole catalog ----------------------------------------------------

def test_catalog_whose_answers_all_sit_at_the_same_index_is_reported():
    problems = catalog_problems(catalog_of(0, 0, 0, 0, 0, 0))
    assert ("the right answer is at index 0 in 6 of the 6 checks with a choice there (100%; at most 50%); "
            "spread the answers over all positions so the position cannot give it away") in problems
    assert answer_position_problems(c for spec in catalog_of(2, 2, 2, 2).lessons for c in spec.checks) == [
        "the right answer is at index 2 in 4 of the 4 checks with a choice there (100%; at most 50%); "
        "spread the answers over all positions so the position cannot give it away"]


def test_more_than_half_at_one_index_is_reported_and_exactly_half_is_not():
    def problems(*answers: int) -> list[str]:
        return answer_position_problems(c for spec in catalog_of(*answers).lessons for c in spec.checks)
    assert [p.split(" with")[0] for p in problems(1, 1, 1, 1, 0, 2)] == [
        "the right answer is at index 1 in 4 of the 6 checks"]
    assert problems(1, 1, 1, 0, 2, 0) == []
    assert problems(0, 1, 2, 0, 1, 2) == []
    assert MAX_ANSWER_POSITION_SHARE == 0.5


def test_an_index_offered_by_few_checks_is_not_judged():
    assert answer_position_problems(c for spec in catalog_of(1, 1, 1).lessons for c in spec.checks) == []
    five_choices = catalog_of(4, 4, 0, 1, 2, 3, choices=5)  # index 4 exists in all six checks: judged
    assert answer_position_problems(c for spec in five_choices.lessons for c in spec.checks) == []
    mixed = [*catalog_of(0, 1, 2, 0, 1, 2).lessons, *catalog_of(3, 3, 3, choices=4).lessons]
    assert answer_position_problems(c for spec in mixed for c in spec.checks) == []  # index 3: only 3 checks


# --- the real catalog, the bank and the generator -------------------------------------------

def test_authored_catalog_passes_every_rule():
    load = load_catalog(CATALOG_ROOT)
    assert [str(e) for e in load.errors] == []
    assert len(load.lessons) == 36
    assert catalog_problems(load) == []
    checks = [c for spec in load.lessons for c in spec.checks]
    assert sum(map(answer_is_longest, checks)) <= len(checks) // 3  # near chance, not 91%


def test_authored_answers_use_every_position():
    checks = [c for spec in load_catalog(CATALOG_ROOT).lessons for c in spec.checks]
    for width in {len(c.choices) for c in checks}:
        assert set(Counter(c.answer for c in checks if len(c.choices) == width)) == set(range(width)), width


def test_bank_checks_repeat_no_authored_question_and_every_technique_can_fill_a_one_check_lesson():
    authored = catalog_questions(CATALOG_ROOT)
    assert len(authored) >= 70
    for category, parts in load_bank().items():
        for technique in parts.techniques:
            assert not all(answer_is_longest(c) for _, c in technique.checks), (category, technique.id)
            for cid, check in technique.checks:
                assert question_key(check.question) not in authored, (category, cid)


def test_bank_technique_whose_every_check_has_the_longest_answer_is_rejected():
    check = {"id": "x-why", "question": "Why?", "choices": ["No", "Yes, for a long and careful reason"],
             "answer": 1, "explanation": "Because."}
    raw = {"id": "x", "name": "X", "style": "visual", "tags": ["line"], "trains": "training things",
           "tip": "A tip.", "steps": ["One.", "Two."], "checks": [check]}
    with pytest.raises(BankError, match="cannot fill a one-check lesson"):
        gen._technique(raw, "drawing.yaml techniques[0]")
    gen._technique({**raw, "checks": [check, {**check, "id": "x-ok", "answer": 0}]}, "drawing.yaml techniques[0]")


def generated(seeds=(1, 2, 3, 202648), count=100, **kwargs) -> list:
    return [lesson for seed in seeds
            for lesson in compose_lessons(cells=ALL_CELLS, count=count, seed=seed, taken_slugs=set(),
                                          taken_titles=set(), taken_hashes=set(), **kwargs)]


def test_generated_lessons_pass_every_lesson_rule_and_copy_no_authored_question():
    lessons = generated()
    assert len(lessons) == 400
    authored = catalog_questions(CATALOG_ROOT)
    for item in lessons:
        validate_lesson(item.spec, categories=set(CATEGORY_SLUGS), source=f"generated:{item.spec.slug}")
        assert not [c.question for c in item.spec.checks if question_key(c.question) in authored]
    checks = [c for item in lessons for c in item.spec.checks]
    assert answer_position_problems(checks) == []
    longest = sum(map(answer_is_longest, checks)) / len(checks)
    assert 0.15 < longest <= MAX_LONGEST_ANSWER_SHARE, longest
    positions = Counter(c.answer for c in checks)
    assert set(positions) == {0, 1, 2} and max(positions.values()) < 0.4 * len(checks), positions


def test_generated_answer_positions_follow_the_seed_and_repeat_for_the_same_seed():
    parts = load_bank()["drawing"]
    slugs = [gen._slug("drawing", t, e, w, 3) for t in parts.techniques for e in parts.exercises for w in parts.twists]
    free = slugs[::40]  # every other combination is taken, so each seed composes these same lessons

    def answers(seed: int) -> dict[str, tuple]:
        made = compose_lessons(cells=[("drawing", 3)], count=len(free), seed=seed, taken_slugs=set(slugs) - set(free),
                               taken_titles=set(), taken_hashes=set())
        return {g.spec.slug: tuple((c.question, c.choices[c.answer], c.answer) for c in g.spec.checks) for g in made}
    first = answers(5)
    assert sorted(first) == sorted(free)
    assert answers(5) == first
    other = answers(6)
    assert sorted(other) == sorted(free)
    assert any(first[s] != other[s] for s in free)
    assert len({a for checks in first.values() for _, _, a in checks}) == 3


def test_compose_lessons_never_copies_a_question_it_is_told_is_authored():
    technique = load_bank()["drawing"].techniques[0]
    questions = [c.question for _, c in technique.checks]
    wanted = [("drawing", d) for d in range(1, 6)]
    unguarded = compose_lessons(cells=wanted, count=60, seed=3, taken_slugs=set(), taken_titles=set(),
                                taken_hashes=set(), authored_questions=[])
    assert any(c.question in questions for g in unguarded for c in g.spec.checks)
    shouted = [re.sub(r"\s+", "  ", q.upper()) for q in questions]  # case and spacing do not hide a copy
    guarded = compose_lessons(cells=wanted, count=60, seed=3, taken_slugs=set(), taken_titles=set(),
                              taken_hashes=set(), authored_questions=shouted)
    assert len(guarded) == 60
    assert not any(c.question in questions for g in guarded for c in g.spec.checks)
    assert all(g.parts["technique"] != technique.id for g in guarded)  # no check left: technique skipped


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**63), cells=st.lists(st.sampled_from(ALL_CELLS), min_size=1, max_size=6))
def test_generated_lessons_are_fair_for_any_seed(seed, cells):
    for item in compose_lessons(cells=cells, count=6, seed=seed, taken_slugs=set(), taken_titles=set(),
                                taken_hashes=set()):
        checks = item.spec.checks
        assert sum(map(answer_is_longest, checks)) <= MAX_LONGEST_ANSWER_SHARE * len(checks)
