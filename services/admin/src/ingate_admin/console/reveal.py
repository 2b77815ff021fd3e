"""A new key or admin token between the create form and the page that shows it once, readable by
neither half.

The session (in NATS) keeps the key sealed with a one-time pad; the pad goes to the browser in an
HttpOnly cookie that only the result page receives. Showing the key removes both, so a reload,
another page or another replica has nothing to show, and NATS never holds the key itself.
"""

import base64
import secrets
from typing import Any, Final

from litestar import Request
from litestar.response import Redirect, Template

from ingate_admin.console.sessions import SignedIn, console_cookie

REVEAL_COOKIE: Final = "ingate_console_reveal"
# Long enough to follow the redirect on a slow machine; a pad outliving it is useless anyway.
REVEAL_TTL_S: Final = 600


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode()


def seal(key: str) -> tuple[str, str]:
    """(sealed, pad), both text: the sealed key for the session, the pad for the cookie."""
    plain = key.encode()
    pad = secrets.token_bytes(len(plain))
    return _b64(bytes(a ^ b for a, b in zip(plain, pad, strict=True))), _b64(pad)


def unseal(sealed: str, pad: str) -> str | None:
    """The key, or None when the pad is missing or does not fit the sealed key."""
    try:
        data, mask = base64.urlsafe_b64decode(sealed), base64.urlsafe_b64decode(pad)
    except ValueError:
        return None
    if len(data) != len(mask) or not data:
        return None
    try:
        return bytes(a ^ b for a, b in zip(data, mask, strict=True)).decode()
    except UnicodeDecodeError:
        return None


async def show_next_once(
    request: Request[Any, Any, Any], signed: SignedIn, item_id: str, secret: str, result_path: str
) -> Redirect:
    """The redirect to `result_path`, which alone can show `secret`, once (see `take_shown`)."""
    sealed, pad = seal(secret)
    signed.session.unshown_keys[item_id] = sealed
    await signed.save()
    answer = Redirect(result_path, status_code=303)
    answer.set_cookie(console_cookie(request, REVEAL_COOKIE, pad, REVEAL_TTL_S, path=result_path))
    return answer


async def take_shown(request: Request[Any, Any, Any], signed: SignedIn, item_id: str) -> str | None:
    """The secret `show_next_once` left for this page, forgotten as it is read; None after."""
    sealed = signed.session.unshown_keys.pop(item_id, None)
    if sealed is None:
        return None
    await signed.save()
    return unseal(sealed, request.cookies.get(REVEAL_COOKIE, ""))


def forget_pad(request: Request[Any, Any, Any], answer: Template) -> Template:
    """`answer` clearing the pad's cookie: used or not, it has nothing left to open."""
    answer.set_cookie(console_cookie(request, REVEAL_COOKIE, "", 0, path=request.url.path))
    return answer
