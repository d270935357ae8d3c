"""Upheal's domain rules for Get session data: transcript timing, speakers, topics, ratios, state.

Every rule looks only at ``getSession`` answered 200 (or with no status, e.g. a recorded body),
and skips whatever is missing or of the wrong type: schema validation reports those.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import chain
from operator import itemgetter, le
from typing import Any, NamedTuple, TypeGuard

from orjson import dumps as _dumps

from .._pointers import escape_pointer
from ..findings import Severity, Violation
from . import InvariantContext, Rule, Voucher

__all__ = ["RULES", "VOUCHERS"]

_LABEL = re.compile(r"[A-Z]+")


def _session(ctx: InvariantContext) -> dict[str, Any] | None:
    if ctx.operation != "getSession" or ctx.status not in (None, 200):
        return None
    return ctx.body if isinstance(ctx.body, dict) else None


_NUM = (int, float)
"""Exact JSON number types (``type(x) in _NUM`` excludes bool, unlike isinstance)."""


def _number(value: object) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _span(node: dict[str, Any]) -> tuple[float, float] | None:
    start, end = node.get("start"), node.get("end")
    if _number(start) and _number(end):
        return start, end
    return None


def _transcript(session: dict[str, Any]) -> dict[str, Any] | None:
    transcript = session.get("transcript")
    return transcript if isinstance(transcript, dict) else None


def _utterances(session: dict[str, Any]) -> list[tuple[int, dict[str, Any]]] | None:
    """The utterances that are objects, with their index; None when there is no list."""
    transcript = _transcript(session)
    utterances = transcript.get("utterances") if transcript else None
    if not isinstance(utterances, list):
        return None
    return [(i, u) for i, u in enumerate(utterances) if type(u) is dict]


def _cached_utterances(ctx: InvariantContext, session: dict[str, Any]
                       ) -> list[tuple[int, dict[str, Any]]] | None:
    """:func:`_utterances`, computed once per exchange (six rules walk them)."""
    if "upheal.utterances" not in ctx.scratch:
        ctx.scratch["upheal.utterances"] = _utterances(session)
    cached: list[tuple[int, dict[str, Any]]] | None = ctx.scratch["upheal.utterances"]
    return cached


def _speakers(ctx: InvariantContext, session: dict[str, Any]) -> set[str]:
    """The distinct string speaker labels of the utterances."""
    hit: set[str] | None = ctx.scratch.get("upheal.speakers")
    if hit is None:
        hit = _speaker_set(session)
        if hit is None:  # some utterance is odd: walk them one by one
            hit = {label for _i, label in _speaker_pairs(ctx, session)}
        ctx.scratch["upheal.speakers"] = hit
    return hit


def _speaker_set(session: dict[str, Any]) -> set[str] | None:
    """The labels in C-level passes, or None unless every utterance has a string speaker."""
    transcript = _transcript(session)
    utterances = transcript.get("utterances") if transcript else None
    if type(utterances) is not list:
        return set()
    try:
        labels = set(map(_SPEAKER, utterances))
    except (KeyError, TypeError, IndexError):  # no speaker, a non-object, an unhashable label
        return None
    return labels if all(type(label) is str for label in labels) else None


def _speaker_pairs(ctx: InvariantContext, session: dict[str, Any]) -> list[tuple[int, str]]:
    """(index, label) of every utterance with a string speaker."""
    return [(i, u["speaker"]) for i, u in _cached_utterances(ctx, session) or []
            if type(u.get("speaker")) is str]


def _topics(session: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    topics = session.get("topics")
    if not isinstance(topics, list):
        return []
    return [(k, t) for k, t in enumerate(topics) if isinstance(t, dict)]


def _mapping(session: dict[str, Any]) -> dict[str, Any] | None:
    transcript = _transcript(session)
    mapping = transcript.get("speakerMapping") if transcript else None
    return mapping if isinstance(mapping, dict) else None


class _WordScan(NamedTuple):
    reversed: list[tuple[int, int | None, float, float]]
    outside: list[tuple[int, int, Any, Any, float, float]]
    out_of_order: list[tuple[int, int, float, float]]


def _word_scan(ctx: InvariantContext, session: dict[str, Any]) -> _WordScan:
    """One pass over every utterance and word, shared by the three word-level rules.

    A long transcript has thousands of words; three separate walks tripled the cost of
    validating it. Types are checked inline (``type(x) in _NUM`` excludes bool) and pointers
    are built by the rules only for the violations found here.
    """
    hit = ctx.scratch.get("upheal.words")
    if hit is not None:
        return hit  # type: ignore[no-any-return]
    reversed_: list[tuple[int, int | None, float, float]] = []
    outside: list[tuple[int, int, Any, Any, float, float]] = []
    order: list[tuple[int, int, float, float]] = []
    for i, utterance in _cached_utterances(ctx, session) or []:
        low: Any = utterance.get("start")
        high: Any = utterance.get("end")
        bounded = type(low) in _NUM and type(high) in _NUM
        if bounded and low > high:
            reversed_.append((i, None, low, high))
            bounded = False  # reported above; its words are not judged against it
        words = utterance.get("words")
        if type(words) is not list:
            continue
        previous: Any = None
        for j, word in enumerate(words):
            if type(word) is not dict:
                continue
            start: Any = word.get("start")
            end: Any = word.get("end")
            has_start, has_end = type(start) in _NUM, type(end) in _NUM
            if has_start and has_end and start > end:
                reversed_.append((i, j, start, end))
            if bounded and ((has_start and not low <= start <= high)
                            or (has_end and not low <= end <= high)):
                outside.append((i, j, start, end, low, high))
            if has_start:
                if previous is not None and start < previous:
                    order.append((i, j, start, previous))
                previous = start
    scan = _WordScan(reversed_, outside, order)
    ctx.scratch["upheal.words"] = scan
    return scan


_START, _END, _WORDS, _SPEAKER, _TEXT = (
    itemgetter("start"), itemgetter("end"), itemgetter("words"), itemgetter("speaker"),
    itemgetter("text"))
_FIRST, _LAST = itemgetter(0), itemgetter(-1)


class _Words(NamedTuple):
    """One C-level read of a transcript (:func:`_read_words`), shared by the schema voucher
    (:func:`vouch_utterances`) and the timing proof (:func:`_prove_timing_clean`)."""

    lows: list[Any]  # each utterance's start
    highs: list[Any]  # each utterance's end
    sizes: list[int]  # how many words each utterance has
    words: list[Any]  # every word, in order
    times: list[Any]  # the words' times, interleaved: start0, end0, start1, end1, ...
    groups: list[Any]  # each utterance's words
    typed: bool = False  # every time is an int (vouch_utterances saw to it): no NaN to look for


_NO_WORDS = _Words([], [], [], [], [], [], True)


def _read_words(session: dict[str, Any]) -> _Words | None:
    """Every utterance's and word's times in C-level passes (``map``, ``chain``); None when
    the transcript is odd: a missing time, a word or utterance that is not an object. A
    session with no utterance list reads as no words."""
    transcript = _transcript(session)
    utterances = transcript.get("utterances") if transcript else None
    if type(utterances) is not list or not utterances:
        return _NO_WORDS
    try:
        lows = list(map(_START, utterances))
        highs = list(map(_END, utterances))
        groups = list(map(_WORDS, utterances))
        sizes = list(map(len, groups))
        words = list(chain.from_iterable(groups))
        times = [0] * (2 * len(words))
        times[0::2] = map(_START, words)
        times[1::2] = map(_END, words)
    except (KeyError, TypeError, IndexError):
        return None
    return _Words(lows, highs, sizes, words, times, groups)


def vouch_utterances(session: Any, scratch: dict[str, Any]) -> bool:
    """True only if every utterance of the transcript is a valid ``Utterance`` (``UTTERANCE``,
    its words valid ``Word``s), for a session parsed by orjson whose schema check skipped the
    utterances (see ``VOUCHERS``). The timing proof reads the same times, so the read is left
    in ``scratch`` for it, and the engine's own walk of every word is saved.

    Soundness rests on orjson's exact types: an utterance or word that is not a dict fails
    the reads (TypeError), a missing field fails them too (KeyError); ``"".join`` fails on
    any text or speaker that is not a str; the times serialize to digits, commas and minus
    signs only when every one is an int (a bool gives ``true``, a float a point or exponent,
    anything else fails to serialize). An integral float (``1.0``, an integer to JSON Schema)
    returns False: the engine's full check then decides."""
    read = _read_words(session) if type(session) is dict else None
    scratch["upheal.read"] = read
    if read is None:
        return False
    if read.lows:  # a non-empty list of utterances, read
        utterances = session["transcript"]["utterances"]
        try:
            "".join(map(_TEXT, utterances))
            speakers = set(map(_SPEAKER, utterances))
            "".join(speakers)
            "".join(map(_TEXT, read.words))
            digits = _dumps((read.lows, read.highs, read.times))
        except (KeyError, TypeError):  # orjson's JSONEncodeError is a TypeError
            return False
        if digits.translate(None, b"0123456789,-") != b"[[][][]]" \
                or not {list}.issuperset(map(type, read.groups)):
            return False
        scratch["upheal.speakers"] = speakers  # what _speakers would find: all are strings
    scratch["upheal.read"] = read._replace(typed=True)
    return True


def _timing_clean(ctx: InvariantContext, session: dict[str, Any]) -> bool:
    """:func:`_prove_timing_clean`, computed once per exchange (on the voucher's read when
    the schema check left one)."""
    hit: bool | None = ctx.scratch.get("upheal.timing_clean")
    if hit is None:
        scratch = ctx.scratch
        read = scratch["upheal.read"] if "upheal.read" in scratch else _read_words(session)
        hit = scratch["upheal.timing_clean"] = _prove_timing_clean(session, read)
    return hit


_UNREAD: Any = object()  # _prove_timing_clean's default: read the transcript there


def _prove_timing_clean(session: dict[str, Any], read: _Words | None = _UNREAD) -> bool:
    """True only if the utterance and word timing rules can find nothing in this transcript
    (``read``: its :func:`_read_words`; by default read here).

    The rules' own walks (:func:`_word_scan` and the loops below) look at every word with
    Python bytecode: about 0.25 µs a word, most of the cost of validating a long transcript.
    This proof asks the same questions with C-level passes (``map``, ``sorted``, ``max``) for
    a few nanoseconds a value, and returns False, sending the rules down their exact walks,
    whenever it finds a departure or cannot decide:

    * each utterance starts no later than it ends, the utterances are in order (by start),
      and they lie in [0, ``recordingDurationMs``] (when the duration is known);
    * the common case, in one sort: the words' times, interleaved over the whole transcript
      (``start0, end0, start1, end1, ...``), never decrease. Then no word is reversed, the
      words of each utterance are in order, and an utterance's words lie inside it when its
      first word starts and its last word ends inside it;
    * otherwise (words that overlap, utterances whose words interleave), the same questions
      one utterance at a time: every word starts no later than it ends, the starts of each
      utterance's words are in order, the first starts and the latest end falls inside it.

    Any odd input (a missing time, a word that is not an object, a string for a number)
    makes the read None or raises in these passes (TypeError) and so returns False.
    Booleans compare as 0 and 1: a run that is ordered with them in it is ordered without
    them, and the exact walks skip them. NaN (not JSON, but a caller may pass parsed values)
    compares false either way, so a NaN anywhere returns False through the sum.
    """
    if read is _UNREAD:
        read = _read_words(session)
    if read is None:
        return False
    lows, highs, sizes, _words, times, groups, typed = read
    if not lows:
        return True
    try:
        if not typed:
            total = sum(lows) + sum(highs) + sum(times)
            if total != total:  # a NaN
                return False
        raw = session.get("recordingDurationMs")
        limit = raw if _number(raw) and raw > 0 else None
        in_order = times == sorted(times)
        if in_order and all(groups) and _spans_in_order(lows, highs, groups):
            # the spans in order: the first start is the least, the last end the greatest
            return lows[0] >= 0 and (limit is None or highs[-1] <= limit)
        if min(lows) < 0 or (limit is not None and max(highs) > limit):
            return False
        if lows != sorted(lows) or not all(map(le, lows, highs)):
            return False
        if in_order:
            at = 0
            for low, high, size in zip(lows, highs, sizes, strict=True):
                if size:
                    if times[at] < low or times[at + 2 * size - 1] > high:
                        return False
                    at += 2 * size
            return True
        return _each_utterance_clean(lows, highs, sizes, times)
    except (KeyError, TypeError, IndexError):
        return False


def _spans_in_order(lows: list[Any], highs: list[Any], groups: list[Any]) -> bool:
    """The usual transcript, in one sort: each utterance's start, its first word's start, its
    last word's end and its own end, utterance after utterance, never decrease. Then the
    utterances are in order, none ends before it starts, and (the words' times being in
    order) every word lies inside its utterance. Utterances that overlap fail it and take
    the questions one by one. Every utterance must have words."""
    spans = [0] * (4 * len(lows))
    spans[0::4] = lows
    spans[1::4] = map(_START, map(_FIRST, groups))
    spans[2::4] = map(_END, map(_LAST, groups))
    spans[3::4] = highs
    return spans == sorted(spans)


def _each_utterance_clean(lows: list[Any], highs: list[Any], sizes: list[int],
                          times: list[Any]) -> bool:
    """:func:`_prove_timing_clean`'s questions one utterance at a time (words that overlap,
    utterances whose words interleave); raises TypeError on values it cannot compare."""
    starts, ends = times[0::2], times[1::2]
    if not all(map(le, starts, ends)):
        return False
    at = 0
    for low, high, size in zip(lows, highs, sizes, strict=True):
        if size:
            own = starts[at:at + size]
            if own != sorted(own) or own[0] < low or max(ends[at:at + size]) > high:
                return False
            at += size
    return True


def _label_number(label: str) -> int:
    """A, B, ..., Z, AA, AB, ...: 1, 2, ..., 26, 27, 28, ... (spreadsheet-column order)."""
    n = 0
    for ch in label:
        n = n * 26 + (ord(ch) - ord("A") + 1)
    return n


def time_range_reversed(ctx: InvariantContext) -> Iterator[Violation]:
    """Every utterance, word and topic starts no later than it ends.

    Severity: error. The page gives each of them a start and an end time in the recording; an
    end before the start is not a time range at all.

    Source: 000_253bc8006b9b1386.txt
    > start integer requiredRelative start time in milliseconds of this utterance in the recording.
    > end integer requiredRelative end time in milliseconds of this utterance in the recording.

    Source: 000_253bc8006b9b1386.txt
    > start integer requiredRelative start time [ms] of this word occurrence in the recording
    > end integer requiredRelative end time [ms] of this word occurrence in the recording

    Source: 000_253bc8006b9b1386.txt
    > start integer requiredRelative start time [ms] of this topic in the recording.
    > end integer requiredRelative end time [ms] of this topic in the recording.

    The page's example passes (utterance 5000-8000, word 5000-5907, topic 250-32200).
    """
    session = _session(ctx)
    if session is None:
        return
    for i, j, start, end in () if _timing_clean(ctx, session) else _word_scan(
            ctx, session).reversed:
        if j is None:
            yield _reversed(ctx, "utterance", f"/transcript/utterances/{i}", start, end)
        else:
            yield _reversed(ctx, "word", f"/transcript/utterances/{i}/words/{j}", start, end)
    for k, topic in _topics(session):
        span = _span(topic)
        if span is not None and span[0] > span[1]:
            yield _reversed(ctx, "topic", f"/topics/{k}", span[0], span[1])


def _reversed(ctx: InvariantContext, kind: str, pointer: str, start: float,
              end: float) -> Violation:
    return ctx.violation("time_range_reversed", f"the {kind} ends before it starts", pointer,
                         actual={"start": start, "end": end}, expected="start <= end")


def word_outside_utterance(ctx: InvariantContext) -> Iterator[Violation]:
    """Each word lies inside the time range of the utterance that lists it.

    Severity: error. The words are "in the utterance", and both carry times relative to the
    same recording, so a word cannot start before its utterance starts or end after it ends.
    Utterances whose own range is reversed are skipped (``time_range_reversed`` reports them).

    Source: 000_253bc8006b9b1386.txt
    > words object[] required
    > List of words in the utterance.

    The page's example passes (word 5000-5907 inside utterance 5000-8000).
    """
    session = _session(ctx)
    if session is None:
        return
    if _timing_clean(ctx, session):
        return
    for i, j, start, end, low, high in _word_scan(ctx, session).outside:
        yield ctx.violation(
            "word_outside_utterance", "the word's time range leaves its utterance's",
            f"/transcript/utterances/{i}/words/{j}",
            actual={"word": {"start": start, "end": end},
                    "utterance": {"start": low, "end": high}},
            expected="utterance start <= word start <= word end <= utterance end")


def words_out_of_order(ctx: InvariantContext) -> Iterator[Violation]:
    """The words of an utterance are listed in the order they were spoken (by start time).

    Severity: warning. The page lists the words of an utterance and times each one, but never
    says the list is sorted; reading order is what every consumer of a transcript assumes, so
    a word that starts before the one listed ahead of it is worth a warning, not a failure.

    Source: 000_253bc8006b9b1386.txt
    > List of words in the utterance.

    The page's example has one word: nothing to order.
    """
    session = _session(ctx)
    if session is None:
        return
    if _timing_clean(ctx, session):
        return
    for i, j, start, previous in _word_scan(ctx, session).out_of_order:
        yield ctx.violation("words_out_of_order",
                            "the word starts before the word listed ahead of it",
                            f"/transcript/utterances/{i}/words/{j}/start",
                            actual={"start": start, "previous_start": previous},
                            expected="start >= the previous word's start",
                            severity=Severity.WARNING)


def utterances_out_of_order(ctx: InvariantContext) -> Iterator[Violation]:
    """The utterances are listed in the order they were spoken (by start time).

    Severity: warning, for the reason given for ``words_out_of_order``: the page times every
    utterance but does not promise the list is sorted. Equal start times (cross-talk) pass.

    Source: 000_253bc8006b9b1386.txt
    > utterances object[]
    > List of all utterances.

    The page's example has one utterance: nothing to order.
    """
    session = _session(ctx)
    if session is None or _timing_clean(ctx, session):
        return
    previous: Any = None
    for i, utterance in _cached_utterances(ctx, session) or []:
        start = utterance.get("start")
        if not _number(start):
            continue
        if previous is not None and start < previous:
            yield ctx.violation("utterances_out_of_order",
                                "the utterance starts before the utterance listed ahead of it",
                                f"/transcript/utterances/{i}/start",
                                actual={"start": start, "previous_start": previous},
                                expected="start >= the previous utterance's start",
                                severity=Severity.WARNING)
        previous = start


def speaker_label_invalid(ctx: InvariantContext) -> Iterator[Violation]:
    """Speaker labels (in utterances and as ``speakerMapping`` keys) are capital letters.

    Severity: error. The page says speakers are labelled with letters starting with 'A', so a
    label is made of capital letters (``A`` ... ``Z``; ``AA`` and on are accepted for a
    27th speaker and beyond, as the page sets no limit). ``speakerMapping`` maps the same
    speakers ("present in utterances"), so its keys follow the same labelling.

    Source: 000_253bc8006b9b1386.txt
    > Speakers are labeled with letters, starting with 'A'.

    Source: 000_253bc8006b9b1386.txt
    > Mapping of speakers (present in utterances) to user identifiers.

    The page's example passes (utterance speaker ``B``; mapping keys ``A`` and ``B``).
    """
    session = _session(ctx)
    if session is None:
        return
    invalid = {label for label in _speakers(ctx, session) if not _LABEL.fullmatch(label)}
    for i, speaker in _speaker_pairs(ctx, session) if invalid else ():
        if speaker in invalid:
            yield ctx.violation("speaker_label_invalid",
                                "the speaker label is not made of capital letters",
                                f"/transcript/utterances/{i}/speaker", actual=speaker,
                                expected="A, B, C, ...")
    for key in _mapping(session) or {}:
        if not isinstance(key, str) or not _LABEL.fullmatch(key):
            yield ctx.violation("speaker_label_invalid",
                                "the speakerMapping key is not a speaker label",
                                f"/transcript/speakerMapping/{escape_pointer(str(key))}",
                                actual=key, expected="A, B, C, ...")


def speakers_not_from_a(ctx: InvariantContext) -> Iterator[Violation]:
    """The speaker labels in use run A, B, C, ... without a gap.

    Severity: error. "Starting with 'A'" means the first speaker is A and the next ones follow
    in order, so the labels of one transcript are A up to some letter, with none skipped. The
    labels counted are those of the utterances together with the ``speakerMapping`` keys:
    the mapping names the speakers "present in utterances", so it is evidence of speakers
    even where the utterance list is cut short. Invalid labels are left to
    ``speaker_label_invalid``.

    Source: 000_253bc8006b9b1386.txt
    > Speakers are labeled with letters, starting with 'A'.

    The page's example passes: its one utterance is by ``B``, which alone would not start at
    A, but its mapping names ``A`` and ``B``; counted together they run from A.
    """
    session = _session(ctx)
    if session is None:
        return
    labels = {label for label in _speakers(ctx, session) if _LABEL.fullmatch(label)}
    labels.update(key for key in _mapping(session) or {}
                  if isinstance(key, str) and _LABEL.fullmatch(key))
    if not labels:
        return
    numbers = sorted(_label_number(label) for label in labels)
    if numbers != list(range(1, len(numbers) + 1)):
        yield ctx.violation("speakers_not_from_a",
                            "the speaker labels do not run from A without a gap",
                            "/transcript", actual=sorted(labels, key=_label_number),
                            expected="A, B, C, ... up to the number of speakers")


def speaker_mapping_unused(ctx: InvariantContext) -> Iterator[Violation]:
    """Every ``speakerMapping`` key is the speaker of some utterance.

    Severity: warning. The page describes the mapping as covering speakers "present in
    utterances", which suggests no key without an utterance; but its own example maps ``A``
    while its (visibly shortened, one lorem-ipsum utterance) list uses only ``B``, so the page
    does not hold itself to it. Checked only when the transcript has an utterance list.

    Source: 000_253bc8006b9b1386.txt
    > Mapping of speakers (present in utterances) to user identifiers.

    The page's example yields one warning, at ``/transcript/speakerMapping/A``.
    """
    session = _session(ctx)
    if session is None:
        return
    transcript = _transcript(session)
    mapping = _mapping(session)
    if transcript is None or type(transcript.get("utterances")) is not list or mapping is None:
        return
    used = _speakers(ctx, session)
    for key in mapping:
        if key not in used:
            yield ctx.violation("speaker_mapping_unused",
                                "the speakerMapping key is the speaker of no utterance",
                                f"/transcript/speakerMapping/{escape_pointer(str(key))}",
                                actual={"key": key, "speakers": sorted(map(str, used))},
                                expected="the speaker of some utterance",
                                severity=Severity.WARNING)


def outside_recording(ctx: InvariantContext) -> Iterator[Violation]:
    """Utterances and topics lie inside the recording: from 0 up to ``recordingDurationMs``.

    Severity: error. Their times are relative to the recording, so none is negative, and none
    passes the recording's end. The upper bound is checked only when the duration is known
    and positive: the duration "becomes available during session processing", and the page's
    example prints 0 beside a topic ending at 32200, i.e. 0 stands for "not known yet". Words
    are covered by ``word_outside_utterance``.

    Source: 000_253bc8006b9b1386.txt
    > Duration of the session recording in milliseconds.
    > Value becomes available during session processing.

    Source: 000_253bc8006b9b1386.txt
    > Relative start time [ms] of this topic in the recording.

    The page's example passes: its duration is 0 (unknown), and no time is negative.
    """
    session = _session(ctx)
    if session is None:
        return
    raw = session.get("recordingDurationMs")
    duration = raw if _number(raw) and raw > 0 else None  # 0: not known yet (see above)
    spans: list[tuple[str, str, int, dict[str, Any]]] = [] if _timing_clean(ctx, session) else [
        ("utterance", "/transcript/utterances", i, u)
        for i, u in _cached_utterances(ctx, session) or []]
    spans.extend(("topic", "/topics", k, t) for k, t in _topics(session))
    for kind, base, index, node in spans:
        for field in ("start", "end"):
            value: Any = node.get(field)
            if type(value) not in _NUM or (value >= 0 and (duration is None
                                                           or value <= duration)):
                continue
            pointer = f"{base}/{index}"  # built only for a violation
            if value < 0:
                yield ctx.violation("outside_recording",
                                    f"the {kind}'s {field} is before the recording starts",
                                    f"{pointer}/{field}", actual=value, expected=">= 0")
            elif duration is not None and value > duration:
                yield ctx.violation("outside_recording",
                                    f"the {kind}'s {field} is after the recording ends",
                                    f"{pointer}/{field}",
                                    actual={field: value, "recordingDurationMs": duration},
                                    expected="<= recordingDurationMs")


def talking_ratio_out_of_range(ctx: InvariantContext) -> Iterator[Violation]:
    """Each talking ratio (``ratio`` and ``ratioLongTerm``) is between 0 and 1.

    Severity: error. The page defines the talking ratio as a talking time divided by the
    session time; a part of the session cannot exceed the whole, nor be negative.

    Source: 000_253bc8006b9b1386.txt
    > The talking time divided by the session time.

    The page's example passes (0.2559..., 0.2572..., 0.6616..., 0.6584...).
    """
    session = _session(ctx)
    if session is None:
        return
    summary = session.get("analyticsSummary")
    ratios = summary.get("talkingRatio") if isinstance(summary, dict) else None
    if not isinstance(ratios, dict):
        return
    for participant, value in ratios.items():
        if not isinstance(value, dict):
            continue
        for field in ("ratio", "ratioLongTerm"):
            ratio = value.get(field)
            if _number(ratio) and not 0 <= ratio <= 1:
                yield ctx.violation(
                    "talking_ratio_out_of_range", f"the talking {field} is outside [0, 1]",
                    f"/analyticsSummary/talkingRatio/{escape_pointer(str(participant))}/{field}",
                    actual=ratio, expected="0 <= ratio <= 1")


def error_state_without_error(ctx: InvariantContext) -> Iterator[Violation]:
    """A session in ``state`` Error carries an ``error`` object saying what went wrong.

    Severity: warning. The page documents ``error`` (a code "identifying the problem" and a
    message) and the state Error, but never ties the two together; its example even prints an
    ``error`` beside ``state: InProgress``. So the converse (an error in another state) is not
    checked at all, and a bare Error state is a warning: the integrator cannot tell the user
    why the session failed.

    Source: 000_253bc8006b9b1386.txt
    > code string requiredError code identifying the problem.

    The page's example passes: its state is InProgress (its ``error`` is not questioned).
    """
    session = _session(ctx)
    if session is None or session.get("state") != "Error":
        return
    if not isinstance(session.get("error"), dict):
        yield ctx.violation("error_state_without_error",
                            "the session is in state Error but carries no error object",
                            "/error", actual={"error": session.get("error")},
                            expected="an error object {code, message}",
                            severity=Severity.WARNING)


RULES: tuple[Rule, ...] = (
    time_range_reversed,
    word_outside_utterance,
    words_out_of_order,
    utterances_out_of_order,
    speaker_label_invalid,
    speakers_not_from_a,
    speaker_mapping_unused,
    outside_recording,
    talking_ratio_out_of_range,
    error_state_without_error,
)

# What an utterance is (Utterance, its words Word), written out for the voucher below.
UTTERANCE = {
    "type": "object", "required": ["text", "start", "end", "speaker", "words"],
    "properties": {
        "text": {"type": "string"}, "start": {"type": "integer"}, "end": {"type": "integer"},
        "speaker": {"type": "string"},
        "words": {"type": "array", "items": {
            "type": "object", "required": ["text", "start", "end"],
            "properties": {"text": {"type": "string"}, "start": {"type": "integer"},
                           "end": {"type": "integer"}}}}}}

# The utterances' own schema check, made by the pass the timing proof reads anyway: a long
# transcript's engine walk of every word is saved (see contracts._vouched).
VOUCHERS = {
    ("getSession", 200): Voucher(
        node="/components/schemas/Transcript/properties/utterances", keyword="items",
        at="/transcript/utterances", schema=UTTERANCE, vouch=vouch_utterances),
}
