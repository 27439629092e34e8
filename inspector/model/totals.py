"""Totals over a list of variables, computed in one place for every command."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .variables import Variable


@dataclass(frozen=True)
class VariableTotals:
    count: int
    parameters: int  # elements of the variables whose shape is fully known
    nbytes: int  # bytes of the variables whose shape and dtype size are known
    unknown_size: int  # variables whose shape or dtype size is not known


def variable_totals(variables: Sequence[Variable]) -> VariableTotals:
    """Totals over exactly the variables given (callers leave out Keras second copies with
    ``inspector.model.variables.distinct``, and total the copies apart)."""
    known = [v.nbytes for v in variables if v.nbytes is not None]
    return VariableTotals(
        count=len(variables),
        parameters=sum(v.elements or 0 for v in variables),
        nbytes=sum(known),
        unknown_size=len(variables) - len(known),
    )


def copies_of(variables: Sequence[Variable]) -> list[Variable]:
    """The second copies a Keras export stores (each marked with the variable it copies)."""
    return [v for v in variables if v.copy_of is not None]
