"""Errors the domain raises; an HTTP adapter maps them to 4xx answers naming the problem."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the input: a stable code, what it concerns, and a sentence."""

    code: str
    subject: str
    message: str


class ConferenceError(Exception):
    """Base of the domain's errors."""


class ConferenceInputError(ConferenceError, ValueError):
    """The conference or the pairing inputs are not valid; every problem found is listed."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(p.message for p in self.problems))

    def codes(self) -> set[str]:
        return {p.code for p in self.problems}


class UnknownSolver(ConferenceError, ValueError):
    def __init__(self, name: str, known: list[str]) -> None:
        self.name = name
        super().__init__(f"unknown solver {name!r}; known solvers: {', '.join(sorted(known))}")


class PinnedMeetingsInfeasible(ConferenceError):
    """The organisers' pinned meetings cannot all be placed together."""


class NoScheduleFound(ConferenceError):
    """The solver found no schedule within its time limit (only possible with pinned meetings,
    since the empty schedule is otherwise always feasible)."""
