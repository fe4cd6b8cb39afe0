"""The password policy and one-time initial passwords (pure Python).

A password is at least 10 characters, not all digits (a phone number or a birth date is
guessed first) and not the username (nor the username inside it). One-time passwords for
imported accounts are 12 characters from an alphabet without look-alikes (0/O, 1/l/I), so a
cadre can type them from a printed slip; they hold about 68 bits of entropy.
"""

from __future__ import annotations

import secrets
import string

from onesheet.domain.findings import Finding, finding

MIN_LENGTH = 10
ONE_TIME_LENGTH = 12
_ALPHABET = "".join(c for c in string.ascii_letters + string.digits if c not in "0O1lIo")


def password_problems(password: str, username: str) -> list[Finding]:
    """What is wrong with ``password`` for ``username`` (empty when it passes)."""
    out = []
    if len(password) < MIN_LENGTH:
        out.append(finding("password.short", min_length=MIN_LENGTH))
    if password.isdigit():
        out.append(finding("password.digits"))
    if username and username.lower() in password.lower():
        out.append(finding("password.username"))
    return out


def one_time_password() -> str:
    """A random initial password that passes the policy (letters and digits both)."""
    while True:
        pw = "".join(secrets.choice(_ALPHABET) for _ in range(ONE_TIME_LENGTH))
        if any(c.isdigit() for c in pw) and any(c.isalpha() for c in pw):
            return pw
