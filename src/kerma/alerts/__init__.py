"""Alerts: trigger rules as data, evaluation at ingest and over history, notifications (e-mail, webhook,
in-app inbox) through an outbox, the review of each alert, and scheduled summaries.

Modules: ``rules`` (what a rule says), ``presets`` (rules from published criteria, each citing its
source), ``engine`` (evaluation), ``hooks`` (the ingest hook), ``routing`` (recipients), ``channels``
(delivery plug-ins), ``delivery`` (the sender), ``review`` (states and comments), ``queries`` (lists and
the export for the authority), ``summary`` (the scheduled report), ``cli`` (`kerma alerts ...`).
"""
