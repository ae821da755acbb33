"""Replaying an execution through the operator's own hook.

`plan` checks ids and builds exactly what will run, `run` runs it (bounded in time and
output) and `audit` keeps the record of every attempt.
"""
