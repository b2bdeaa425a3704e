"""Shared building blocks of every parameter schema (strict models and bounded number types)."""

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

WEEKS_PER_YEAR = 52

Share = Annotated[float, Field(ge=0.0, le=1.0)]
# no quantity in this model is meaningfully above a trillion; the cap keeps arithmetic finite
LARGEST = 1e12
NonNeg = Annotated[float, Field(ge=0.0, le=LARGEST, allow_inf_nan=False)]
Positive = Annotated[float, Field(gt=0.0, le=LARGEST, allow_inf_nan=False)]


class Strict(BaseModel):
    """Base for every parameter block: unknown keys are errors, NaN and infinity are refused, and
    types are strict (``true`` is not a number, ``2.5`` is not a whole number; enumerations are
    given as their names with ``Field(strict=False)``)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, validate_assignment=True,
                              strict=True)


class OrgKind(StrEnum):
    """The three kinds of service organisation (docs/model.md, section 2 "Organisations")."""

    DEPARTMENT = "department"
    NGO = "ngo"
    PRIVATE = "private"


class Priority(StrEnum):
    """Who is served first from an organisation's waiting list."""

    FIRST_COME = "first_come"
    MOST_VULNERABLE = "most_vulnerable"
    QUOTA = "quota"


class Eligibility(StrEnum):
    """Which families an organisation accepts."""

    ALL = "all"
    MARGINALISED = "marginalised"


PRIORITY_CODES = {Priority.FIRST_COME: 0, Priority.MOST_VULNERABLE: 1, Priority.QUOTA: 2}
