"""Upheal's timing rules have a fast proof of cleanliness (C-level passes over the transcript)
in front of their exact per-word walks. The proof may only ever skip work: with it and
without it, every rule must yield exactly the same violations, on any body whatsoever."""

from __future__ import annotations

import copy
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

from contracts.invariants import InvariantContext, check_invariants, upheal

SETTINGS = settings(max_examples=400, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


def transcript(utterances: list[dict[str, Any]], duration: Any = 100_000) -> dict[str, Any]:
    return {"id": "s-1", "state": "Done", "recordingDurationMs": duration,
            "transcript": {"utterances": utterances, "speakerMapping": {"A": "u-1"}}}


def tidy(n_utterances: int = 3, n_words: int = 4, *, gap: int = 50) -> list[dict[str, Any]]:
    """Ordered utterances of ordered words, which overlap when ``gap`` is negative."""
    out, t = [], 0
    for i in range(n_utterances):
        words, start = [], t
        for j in range(n_words):
            words.append({"text": f"w{j}", "start": t, "end": t + 300})
            t += 300 + gap
        end = max(t, words[-1]["end"]) if words else t  # negative gaps: words overlap
        out.append({"text": "...", "start": start, "end": end, "speaker": "AB"[i % 2],
                    "words": words})
        t = end + gap
    return out


def findings(body: Any) -> list[tuple[str, str, str]]:
    ctx = InvariantContext(api="upheal", operation="getSession", status=200, body=body)
    return [(v.code, v.pointer, repr(v.actual)) for v in check_invariants(ctx)]


def exact_findings(body: Any, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, str]]:
    with monkeypatch.context() as m:
        m.setattr(upheal, "_prove_timing_clean", lambda session, read=None: False)
        return findings(body)


# -- the proof engages where it should ------------------------------------------------------

def test_a_tidy_transcript_is_proven_clean_and_yields_nothing() -> None:
    body = transcript(tidy())
    assert upheal._prove_timing_clean(body) is True
    assert [f for f in findings(body) if "speaker_mapping" not in f[0]] == []


def test_word_touching_the_next_word_and_the_utterance_edges_is_still_proven() -> None:
    utterances = [{"text": "x", "start": 0, "end": 600, "speaker": "A", "words": [
        {"text": "a", "start": 0, "end": 300}, {"text": "b", "start": 300, "end": 600}]}]
    assert upheal._prove_timing_clean(transcript(utterances)) is True


def test_overlapping_words_are_proven_one_utterance_at_a_time() -> None:
    body = transcript(tidy(gap=-100))  # each word ends 100 ms after the next one starts
    words = body["transcript"]["utterances"][0]["words"]
    assert words[0]["end"] > words[1]["start"]
    assert upheal._prove_timing_clean(body) is True


def test_utterances_whose_words_interleave_are_proven_one_utterance_at_a_time() -> None:
    utterances = tidy(2, 2)  # cross-talk: the second utterance starts inside the first
    second = utterances[1]
    shift = second["start"] - utterances[0]["start"] - 10
    second.update(start=second["start"] - shift, end=second["end"] - shift)
    for word in second["words"]:
        word.update(start=word["start"] - shift, end=word["end"] - shift)
    assert upheal._prove_timing_clean(transcript(utterances)) is True


@pytest.mark.parametrize("gap", [50, -100], ids=["apart", "overlapping"])
@pytest.mark.parametrize("edit, code", [
    (lambda u: u[1]["words"][2].update(start=u[1]["words"][2]["end"] + 1), "time_range_reversed"),
    (lambda u: u[1]["words"][3].update(end=u[1]["end"] + 5), "word_outside_utterance"),
    (lambda u: u[2]["words"][0].update(start=u[2]["start"] - 5), "word_outside_utterance"),
    (lambda u: u[0]["words"].reverse(), "words_out_of_order"),
    (lambda u: u.reverse(), "utterances_out_of_order"),
    (lambda u: u[0].update(start=-10), "outside_recording"),
    (lambda u: u[2].update(end=200_000), "outside_recording"),
    (lambda u: u[1].update(start=u[1]["end"] + 1, words=[]), "time_range_reversed"),
])
def test_each_departure_defeats_the_proof_and_the_exact_walk_names_it(
        edit: Any, code: str, gap: int, monkeypatch: pytest.MonkeyPatch) -> None:
    utterances = tidy(gap=gap)
    edit(utterances)
    body = transcript(utterances)
    assert upheal._prove_timing_clean(body) is False
    got = findings(body)
    assert any(c == f"invariant.upheal.{code}" for c, _p, _a in got), got
    assert got == exact_findings(body, monkeypatch)


@pytest.mark.parametrize("odd", [
    lambda u: u[1]["words"][1].pop("end"),                 # a word without an end
    lambda u: u[1]["words"].insert(1, "not a word"),       # a word that is not an object
    lambda u: u[1].update(words="abc"),                    # words that are a string
    lambda u: u[1].update(words={"start": 1}),             # words that are an object
    lambda u: u[0]["words"][0].update(start="0"),          # a string for a number
    lambda u: u[0]["words"][0].update(start=None),
    lambda u: u[0]["words"][0].update(start=math.nan),     # not JSON, but a caller may pass it
    lambda u: u[2].update(end=math.nan),
    lambda u: u.insert(1, ["an", "array"]),                # an utterance that is not an object
    lambda u: u[1].pop("start"),
])
def test_odd_input_is_left_to_the_exact_walk(odd: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    utterances = tidy()
    odd(utterances)
    body = transcript(utterances)
    assert upheal._prove_timing_clean(body) is False
    assert findings(body) == exact_findings(body, monkeypatch)


def test_booleans_for_times_agree_with_the_exact_walk(monkeypatch: pytest.MonkeyPatch) -> None:
    utterances = tidy()
    utterances[0]["words"][0]["start"] = False  # 0 as a number; the exact walk skips it
    body = transcript(utterances)
    assert findings(body) == exact_findings(body, monkeypatch)


# -- differential: with and without the proof, on generated transcripts ----------------------

ODD = st.sampled_from([None, "7", True, False, 1.5, math.nan, [1], {"a": 1}, -3, 10**12])


@st.composite
def near_tidy(draw: st.DrawFn) -> Any:
    """Mostly tidy transcripts, with a few values nudged, swapped, dropped or made odd."""
    utterances = tidy(draw(st.integers(0, 5)), draw(st.integers(0, 5)),
                      gap=draw(st.sampled_from([0, 10, 50, -100])))
    for _ in range(draw(st.integers(0, 3))):
        if not utterances:
            break
        u = draw(st.sampled_from(utterances))
        target = draw(st.sampled_from(u["words"])) if u["words"] and draw(st.booleans()) else u
        key = draw(st.sampled_from(["start", "end"]))
        action = draw(st.sampled_from(["nudge", "odd", "drop", "swap"]))
        if action == "nudge" and isinstance(target.get(key), int):
            target[key] += draw(st.integers(-400, 400))
        elif action == "odd":
            target[key] = draw(ODD)
        elif action == "drop":
            target.pop(key, None)
        else:
            index = st.integers(0, len(utterances) - 1)
            i, j = draw(index), draw(index)
            utterances[i], utterances[j] = utterances[j], utterances[i]
    duration = draw(st.sampled_from([100_000, 0, 1_000, None, "x", math.nan]))
    return transcript(utterances, duration)


@SETTINGS
@given(body=near_tidy())
def test_the_proof_never_changes_a_verdict(body: Any) -> None:
    with pytest.MonkeyPatch.context() as m:
        fast = findings(copy.deepcopy(body))
        m.setattr(upheal, "_prove_timing_clean", lambda session, read=None: False)
        exact = findings(copy.deepcopy(body))
    assert fast == exact


def test_the_generated_transcripts_take_both_paths() -> None:
    """The differential test above is only worth something if the proof succeeds on some
    generated transcripts (with utterances and words) and fails on others."""
    find(near_tidy(), lambda b: upheal._prove_timing_clean(b)
         and any(u.get("words") for u in b["transcript"]["utterances"]))
    find(near_tidy(), lambda b: not upheal._prove_timing_clean(b))
