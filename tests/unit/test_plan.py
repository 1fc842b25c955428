"""Plan building from assessment answers (pure logic over the real content)."""

from __future__ import annotations

from sciaticalm.content import library
from sciaticalm.plan import Answers, build_plan, score_contributors


def test_answers_point_to_the_matching_contributors_strongest_first() -> None:
    answers = Answers(pain_onset="during", load_change="yes", shoe_age="old",
                      foot_strike="heel", strength_work="none")
    ids = [c.id for c in score_contributors(answers)]
    assert set(ids) == {"training_load", "footwear", "running_form", "core_strength"}
    # heel strike + pain during the run: form outranks the others with the same base score
    assert ids[0] == "running_form"


def test_no_contributors_when_everything_is_fine() -> None:
    answers = Answers(pain_onset="after", load_change="no", shoe_age="new",
                      foot_strike="midfoot", strength_work="regular")
    contributors = score_contributors(answers)
    assert [c.id for c in contributors] == ["training_load"]
    assert contributors[0].score == 1


def test_constant_pain_recommends_a_professional_first() -> None:
    answers = Answers(pain_onset="constant", load_change="no", shoe_age="new",
                      foot_strike="midfoot", strength_work="regular")
    assert score_contributors(answers)[0].id == "see_professional"


def test_plan_messages_follow_the_contributors_and_cover_exercises_and_stretches() -> None:
    lib = library()
    plan = build_plan(Answers(pain_onset="next_day", load_change="yes", shoe_age="old",
                              foot_strike="midfoot", strength_work="regular"), lib)
    text = "\n".join(plan.messages)
    assert plan.contributor_ids[:2] == ["training_load", "footwear"]
    assert text.index("Ease your training load") < text.index("Check your shoes")
    for ref in ("strengthening/plank", "strengthening/bridge", "strengthening/bird_dog",
                "stretching/hamstring_stretch", "stretching/hip_flexor_stretch",
                "stretching/cobra_pose", "training_load/rest_days",
                "footwear/professional_fitting"):
        assert lib.item(ref).title in text, ref
    assert "Work on your running form" not in text  # midfoot runner: no form section


def test_every_plan_reference_exists_and_cites_a_section() -> None:
    lib = library()
    spec = lib.plan
    refs = [r for c in spec["contributors"].values() for r in c["advice"]]
    refs += [r for s in spec["always"].values() for r in s["advice"]]
    for ref in refs:
        assert lib.item(ref).source
    for contributor in spec["contributors"].values():
        assert contributor["source"]
