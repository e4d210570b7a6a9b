"""The rule language: the policy model and its validating loader."""
