"""Rules that look across aggregates, as pure functions.

An aggregate checks the rules about itself; a rule that needs several (an
institution and its other applications, its sister institutions' endings, an
agreement's predecessor, the scores of earlier years) is a policy here: the
service gathers the aggregates or facts it names and calls it; the policy
decides, and raises the refusal with its rule id, or returns what it found.
No policy reads the store, so a test calls it with fakes (tests/test_policies.py).
``domain/bars.py`` (ADM-03's grounds) is the first of them and stays where it is.
"""
