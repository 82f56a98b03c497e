"""The English shapes of the deadlines' "what" and the statuses' "why"
(``projections.deadlines`` uses them; ``adapters/list_words.py`` reads
stored text back by them): no domain import, so a question need not load
the domain to say its rows (start-up, issue #14 point 4)."""
from __future__ import annotations

# The English of each deadline's "what" and each status's "why": the read
# models store this text and JSON keeps it; adapters/list_words.py reads a
# stored text back by these same shapes to say it in the reader's language
# (the catalogue's ``list_words.<key>``, whose English a test holds equal to
# these), so the tables stay as they are and no rebuild is needed.
WHAT = {
    "notice_due": "send the one-time incomplete-materials notice",
    "supply": "applicant supplies: {missing}",
    "supply_paused": "applicant supplies {missing}; the evaluation clock is paused",
    "finish_evaluation": "finish the evaluation (clock paused {days} day(s))",
    "reevaluation": "earliest re-evaluation after rectification",
    "pass_expires": "evaluation pass expires (sign before)",
    "notice_ends": "public notice ends; takes effect without an upheld objection",
    "file_and_notice": "file with the administrative department and give public notice",
    "resume_or_end": "apply to resume, or the agreement ends the next day",
    "disciplinary_ends": "disciplinary suspension ends; apply for on-site inspection",
    "past_expiry": "suspension reaches past expiry: the agreement ends at expiry",
    "apply_renewal": "apply for renewal (3 months before expiry)",
    "term_ends": "term ends",
    "notice_to_end": "ends on 30 days' notice from the {by}",
    "report_change": "report the {change} change (approved {approved_on})",
    "obligation": "{kind} on ground {ground}: {reason}",
    # domain/case.py's case_deadlines writes this one (SUP-05)
    "explain": "institution explains (request {request}): {question}",
}
WHY = {
    "ended": "{ground} ({article}): {reason}",
    "notice_until": "notice until {until}",
    "not_filed": "not yet filed/noticed",
    "suspended": "from {start} on {ground}",
    "suspended_resume": "from {start} on {ground}, resume by {resume_by}",
    "suspended_until": "from {start} on {ground}, until {planned_end}",
    "suspended_resume_until": "from {start} on {ground}, resume by {resume_by}, "
                              "until {planned_end}",
    "in_force": "in force since {since}",
}
# the English of texts the domain records, which a "what" or "why" quotes
# (an obligation's reason, domain/obligations.py; a stop on an objection,
# domain/agreement.py)
QUOTED = {
    "change_late": "{change} change approved {approved_on} reported late on "
                   "{reported_on} (due {due})",
    "change_unreported": "{change} change not reported within 30 working days of approval",
    "second_suspension": "second agency-imposed suspension in this term",
    "failed_inspection": "rectification failed during the suspension (inspection {report})",
    "objection_upheld": "objection {objection} upheld: {reason}",
}

__all__ = ["QUOTED", "WHAT", "WHY"]
