"""The base of every node of the challenge schema, kept apart so the schema's modules can share it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """A schema node that refuses keys it does not know."""

    # Numbers become text where text is expected: `version: 1` and `classes: [1, 2, 3]` mean
    # what they say; booleans still fail, since `classes: [no, yes]` has lost its spelling.
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)
