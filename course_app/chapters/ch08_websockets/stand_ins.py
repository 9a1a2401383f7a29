"""What the seed's code calls and never defines: ``verify_token`` and ``decode_token``.

Two made-up users and their tokens, enough to tell a good token from a bad one. A real app checks a signed token
(a JWT, say) or asks its session store; what this chapter teaches does not depend on how.
"""

from typing import Any

#: token -> the user it stands for
TOKENS: dict[str, dict[str, Any]] = {
    "alice-secret-token": {"name": "alice"},
    "bob-secret-token": {"name": "bob"},
}


def verify_token(token: str) -> bool:
    return token in TOKENS


def decode_token(token: str) -> dict[str, Any]:
    return TOKENS[token]
