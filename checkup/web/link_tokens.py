"""Links that carry a token: password reset, group invitation, waitlist offer, survey, email preferences.

The first GET of such a link checks the token, keeps it in the session and answers 303 to the same page
without it, so the token is in one access-log line (redacted there, checkup/web/log_redaction.py) and never
in the address bar, the history, a Referer header or a form's address. The page's POST reads the token
back from the session. Each form carries a fingerprint of the token it was shown for (``link``): a page
left open in another tab cannot act on a link of the same kind opened later.
"""

import hashlib

from flask import redirect, request, session, url_for

RESET, INVITATION, WAITLIST_OFFER, SURVEY, PREFERENCES = "reset", "invitation", "offer", "survey", "preferences"
# Links whose page needs the right account: their token outlives the session rotation of signing in.
SIGN_IN_SURVIVORS = (WAITLIST_OFFER,)
FIELD = "link"
MAX_LENGTH = 500  # longer than any token we issue; a forged cookie cannot grow the session without bound


def _key(kind):
    return f"link:{kind}"


def fingerprint(token):
    """What a form may carry to say which token it was shown for (not the token, nothing to act with)."""
    return hashlib.sha256((token or "").encode()).hexdigest()[:16]


def hold(kind, token, endpoint, **values):
    """Keep ``token`` for this browser session and send the browser to ``endpoint`` without it (303)."""
    keep(kind, token)
    return redirect(url_for(endpoint, **values), code=303)


def keep(kind, token):
    session[_key(kind)] = token


def held(kind):
    """The token kept for ``kind``; None when there is none, or when a POSTed form was shown for another."""
    token = session.get(_key(kind))
    if not isinstance(token, str) or not token or len(token) > MAX_LENGTH:
        return None
    shown = request.form.get(FIELD) if request.method == "POST" else None
    if shown is not None and shown != fingerprint(token):
        return None
    return token


def release(kind):
    session.pop(_key(kind), None)


def surviving_sign_in():
    """The kept tokens that signing in must carry into the new session ({session key: token})."""
    return {_key(kind): session[_key(kind)] for kind in SIGN_IN_SURVIVORS if _key(kind) in session}


def protect(blueprint):
    """Pages answered at an address with a token (an expired link's page, say) send no Referer onwards."""

    @blueprint.after_request
    def no_referrer(response):
        if "token" in (request.view_args or {}):
            response.headers["Referrer-Policy"] = "no-referrer"
        return response

    return blueprint
