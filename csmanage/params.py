"""Numbers read from a query string or a form post, which anyone can type.

``"²".isdigit()`` is true yet ``int("²")`` fails, and a number past the database's
integer range fails in the database: both were 500s. A value that is no usable number is
``None`` here, and each page decides what that means (usually: no filter, or page 1).
"""

#: The largest key a database ``bigint`` holds.
MAX_ID = 2**63 - 1
#: Deeper than any list goes; keeps ``OFFSET`` within range whatever the page size.
MAX_PAGE = 1_000_000


def id_param(value: object) -> int | None:
    """A record key (a positive integer within range), or None."""
    text = str(value or "").strip()
    if not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


def page_param(value: object) -> int:
    """A page number from 1 to ``MAX_PAGE``; anything else is page 1."""
    text = str(value or "").strip()
    if not (text.isascii() and text.isdigit()):
        return 1
    return min(max(1, int(text)), MAX_PAGE)
