"""The kinds of course come from seeds/training.toml: loaded with their names in both languages, refreshed
from the seeds, and a wrong file stops the load with a message naming the entry."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlmodel import Session, select

from app import seeds
from app.core.region import SeedError
from app.training.models import CourseType
from tests.members.conftest import copy_seeds, replace_in


def test_every_seeded_kind_of_course_is_there_in_both_languages_and_only_saat_certifies(session: Session) -> None:
    kinds = {kind.key: kind for kind in session.exec(select(CourseType)).all()}
    assert {
        "pre-deployment",
        "saat-preparation",
        "staff-officer",
        "military-observer",
        "protection-of-civilians",
        "gender-adviser",
        "training-of-trainers",
    } <= set(kinds)
    assert kinds["saat-preparation"].name("fr") == "Préparation et évaluation SAAT"
    assert [key for key, kind in kinds.items() if kind.certifies] == ["saat-preparation"]


def test_a_renamed_kind_of_course_takes_the_new_names_when_the_seeds_are_loaded_again(
    session: Session, tmp_path: Path
) -> None:
    changed = copy_seeds(tmp_path)
    replace_in(changed / "training.toml", 'name_en = "Gender adviser"', 'name_en = "Gender and protection adviser"')
    seeds.load(session, changed)
    kinds = session.exec(select(CourseType).where(CourseType.key == "gender-adviser")).all()
    assert [kind.name("en") for kind in kinds] == ["Gender and protection adviser"]


@pytest.mark.parametrize(
    ("old", "new", "complaint"),
    [
        ('name_fr = "Formation de formateurs"\n', "", "course_type 7: field name_fr is missing or empty"),
        ('key = "gender-adviser"', 'key = "staff-officer"', "course_type 6: key 'staff-officer' is used twice"),
        (
            "certification_valid_months = 12",
            "certification_valid_months = 0",
            "certification_valid_months must be a whole number of months from 1 to 120",
        ),
    ],
    ids=["missing name", "duplicate key", "validity out of range"],
)
def test_a_wrong_training_file_is_refused_naming_what_is_wrong(
    tmp_path: Path, old: str, new: str, complaint: str
) -> None:
    wrong = copy_seeds(tmp_path)
    replace_in(wrong / "training.toml", old, new)
    with pytest.raises(SeedError, match=re.escape(complaint)):
        seeds.check(wrong)
