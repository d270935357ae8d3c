"""Synthetic, obviously fake, seed-determined data shared by the vendor mocks (no real people)."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

__all__ = [
    "EPOCH",
    "clinician_name",
    "iso",
    "patient_name",
    "sentences",
    "uuid_from",
]

EPOCH = datetime(2026, 1, 5, 9, 0, 0, tzinfo=UTC)
"""Logical time zero: timestamps in bodies are EPOCH + an offset, so they repeat for a seed."""

_SENTENCES = (
    "Thanks for coming in today, how have things been since our last session?",
    "It has been a busy couple of weeks at work and I have been sleeping badly.",
    "Can you tell me more about what keeps you awake at night?",
    "Mostly I keep thinking about deadlines and whether I forgot something.",
    "That sounds exhausting, and it makes sense that it affects your mood.",
    "I tried the breathing exercise we practised and it helped a little.",
    "Good, let us build on that and add a short wind-down routine before bed.",
    "I also went for a walk three times last week, which felt good.",
    "What did you notice about your energy on the days you walked?",
    "I felt calmer in the evening and argued less with my partner.",
    "Let us write that down as something that works for you.",
    "For next week, try to keep a simple sleep diary each morning.",
    "I can do that, I will put a reminder on my phone.",
    "Is there anything else you would like to talk about today?",
    "No, I think that covers it, thank you.",
    "The patient reports a mild cough for three days without fever.",
    "No known drug allergies were reported during the visit.",
    "Advised fluids, rest and a follow-up visit if symptoms persist.",
)


def uuid_from(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def iso(offset_seconds: float, *, millis: bool = True, zone: bool = True) -> str:
    """EPOCH + offset as ISO 8601 (``2026-01-05T09:00:00.000Z`` style)."""
    moment = EPOCH + timedelta(seconds=offset_seconds)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if millis:
        text += f".{moment.microsecond // 1000:03d}"
    return text + ("Z" if zone else "")


def patient_name(n: int) -> str:
    return f"Test Patient {n:04d}"


def clinician_name(n: int) -> str:
    return f"Dr. Test Clinician {n:02d}"


def sentences(rng: random.Random, count: int) -> list[str]:
    start = rng.randrange(len(_SENTENCES))
    return [_SENTENCES[(start + i) % len(_SENTENCES)] for i in range(count)]
