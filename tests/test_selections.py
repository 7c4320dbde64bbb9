"""Named selections (core.metrics.Selection): the figures several views show together are
written once, in the core, and every id in them is a registered metric."""
from __future__ import annotations

import pytest

from core import metrics

SELECTIONS = {name: value for name, value in vars(metrics).items()
              if isinstance(value, metrics.Selection)}


def test_the_selections_are_found():
    """The views take HEADLINE, PROFILE, STORY, the brief's tables and the jobs trio."""
    assert {"HEADLINE", "PROFILE", "STORY", "BRIEF_HEADLINE", "BRIEF_JOBS",
            "JOBS_TRIO"} <= set(SELECTIONS)


@pytest.mark.parametrize("name", sorted(SELECTIONS))
def test_a_selection_names_registered_metrics_once_each(name):
    ids = SELECTIONS[name]
    assert ids, f"{name} is empty"
    unknown = [i for i in ids if i not in metrics.REGISTRY]
    assert not unknown, f"{name} names metrics the registry does not have: {unknown}"
    assert len(set(ids)) == len(ids), f"{name} names a figure twice"


def test_the_sentences_speak_of_figures_the_profile_reads():
    """The profile reads its cards' figures once and tells its sentences from them."""
    assert set(metrics.STORY) <= set(metrics.PROFILE)


def test_the_jobs_trio_are_jobs_counts():
    assert all(metrics.get(i).group == metrics.JOBS and metrics.get(i).kind == "count"
               for i in metrics.JOBS_TRIO)
