"""Auditing many artifacts: the per-artifact function with the check engine bound, and the runners
that map it over a registry (a process pool on one machine, or an Apache Beam pipeline).

This layer sits above ``checks/`` (it binds the rule engine into ``analysis.audit``) and below
``report/``: it never prints; progress is reported through a callback the command hands in.
"""
