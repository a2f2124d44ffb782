"""Differences from Dovecot that are still open: not explained by an RFC, not fixed yet.

A ratchet, separate from intentional_differences.py (which holds only differences with an RFC
reason). test_differential.py accepts a difference listed here so that the suite stays green while
the list is worked down, and FAILS when a listed difference no longer occurs: delete its entry
then, so the list can only shrink. Never add an entry to hide a new difference: fix it, or, when an
RFC says Dovecot is wrong, add it to intentional_differences.py with the reason.

Each entry: (test, message, item, description). `test` is the test that compares it ("structure",
"sections", "binary", "search"); `message` the corpus name ("*" for a SEARCH answer); `item` the
FETCH item as the server names it, or the SEARCH command.
"""

OPEN = [
]

_INDEX = {(t, m, i): desc for t, m, i, desc in OPEN}
assert len(_INDEX) == len(OPEN), "duplicate entries in known_open_differences.OPEN"

# Filled while the suite runs: (test, message, item) of every listed difference that still occurs,
# and the tests whose comparisons finished (only their entries can be judged).
SEEN = set()
FINISHED = set()


def lookup(test, d):
    """The description when d is a listed open difference of `test`, else None."""
    return _INDEX.get((test, d.message, d.item))


def entries_of(test):
    return [(t, m, i) for t, m, i, _ in OPEN if t == test]
