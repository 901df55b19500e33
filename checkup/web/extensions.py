"""Web extensions live at module level and are bound to an app in create_app (never at import).

The database proxy is not one of them: it lives with the models (checkup.models.base), which must not
import the web layer."""

from flask_babel import Babel
from flask_htmx import HTMX
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

login_manager = LoginManager()
htmx = HTMX()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
