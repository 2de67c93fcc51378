"""Pairing solvers behind one interface, chosen by name.

An unknown name is an error, never a quiet fallback to another solver.
"""

from __future__ import annotations

from collections.abc import Callable

from services.conferences.domain.errors import UnknownSolver
from services.conferences.domain.solvers.base import (
    PairingSolver,
    ProgressCallback,
    SolveOptions,
    SolverOutcome,
    SolveStatus,
)
from services.conferences.domain.solvers.cpsat import CpSatSolver
from services.conferences.domain.solvers.flow import FlowSolver
from services.conferences.domain.solvers.greedy import GreedySolver

_REGISTRY: dict[str, Callable[[], PairingSolver]] = {
    "cpsat": CpSatSolver,
    "flow": FlowSolver,
    "greedy": GreedySolver,
}


def solver_names() -> list[str]:
    return sorted(_REGISTRY)


def get_solver(name: str) -> PairingSolver:
    try:
        factory = _REGISTRY[name]
    except KeyError:
        raise UnknownSolver(name, solver_names()) from None
    return factory()


__all__ = [
    "PairingSolver",
    "ProgressCallback",
    "SolveOptions",
    "SolveStatus",
    "SolverOutcome",
    "get_solver",
    "solver_names",
]
