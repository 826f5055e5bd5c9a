"""Challenge folders: read challenge.yaml and its files, report every problem, bundle the result."""

from .commands import FolderSummary, list_command, list_folders, validate_command
from .problems import ROW_PROBLEMS_SHOWN, WHOLE_FILE, ChallengeInvalid, Problem
from .reading import MAX_YAML_BYTES, YAML_NAME
from .validate import ValidatedChallenge, scoring_hash, validate_folder

__all__ = [
    "MAX_YAML_BYTES",
    "ROW_PROBLEMS_SHOWN",
    "WHOLE_FILE",
    "YAML_NAME",
    "ChallengeInvalid",
    "FolderSummary",
    "Problem",
    "ValidatedChallenge",
    "list_command",
    "list_folders",
    "scoring_hash",
    "validate_command",
    "validate_folder",
]
