"""A Django application whose session behaviour is all Django's: django.contrib.sessions and
django.contrib.auth, configured by settings only. tests/frameworks.rs starts it on a loopback
port and probes it.

    /usr/bin/python3 django_app.py secure|weak|defaults

prints `listening on PORT` once it serves. The user `alice` has the password from the
environment variable SM_PASSWORD.

- secure: database sessions, Secure + HttpOnly + SameSite=Strict cookie, `__Host-` name, one
  hour, gone when the browser closes.
- defaults: no SESSION_* setting changed (what templates/django.ron draws).
- weak: Django's defaults except the session engine, which is the signed-cookie one: no Secure
  flag, a two-week cookie, and (the documented caveat of signed cookies) a copy of the cookie
  still signs in after logout, because there is no server-side row to delete.
"""

import os
import sys
import tempfile

import django
from django.conf import settings

MODE = sys.argv[1] if len(sys.argv) > 1 else "secure"
DB = os.path.join(tempfile.mkdtemp(prefix="sessionmap-django-"), "db.sqlite3")

COMMON = dict(
    DEBUG=False,
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    SECRET_KEY=os.urandom(32).hex(),
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=[
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "django.contrib.sessions",
    ],
    MIDDLEWARE=[
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
    ],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": DB}},
    PASSWORD_HASHERS=["django.contrib.auth.hashers.PBKDF2PasswordHasher"],
    DEFAULT_AUTO_FIELD="django.db.models.AutoField",
    USE_TZ=True,
)

if MODE == "secure":
    settings.configure(
        **COMMON,
        SESSION_ENGINE="django.contrib.sessions.backends.db",
        SESSION_COOKIE_NAME="__Host-sessionid",
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_AGE=3600,
        SESSION_EXPIRE_AT_BROWSER_CLOSE=True,
    )
elif MODE == "defaults":
    settings.configure(**COMMON)
elif MODE == "weak":
    settings.configure(
        **COMMON,
        SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies",
    )
else:
    sys.exit(f"unknown mode {MODE!r}: secure, weak or defaults")

django.setup()

from django.contrib.auth import (  # noqa: E402
    authenticate,
    get_user_model,
    login,
    logout,
    update_session_auth_hash,
)
from django.contrib.auth.forms import PasswordChangeForm  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.http import HttpResponse, HttpResponseRedirect  # noqa: E402
from django.urls import path  # noqa: E402
from django.views.decorators.csrf import csrf_exempt  # noqa: E402


def login_page(request):
    # Like a shop's cart or a form's state: something kept in the session before sign-in, so
    # Django hands out a pre-login session.
    request.session["visited_login"] = True
    return HttpResponse("<form method=post>sign in</form>")


@csrf_exempt
def sign_in(request):
    user = authenticate(
        request,
        username=request.POST.get("username", ""),
        password=request.POST.get("password", ""),
    )
    if user is None:
        return HttpResponse("wrong", status=401)
    login(request, user)
    return HttpResponseRedirect("/account")


def account(request):
    if not request.user.is_authenticated:
        return HttpResponseRedirect("/login")
    return HttpResponse(f"signed in as {request.user.username}")


@csrf_exempt
def change_password(request):
    # What django.contrib.auth's PasswordChangeView does (without its CSRF check and template):
    # the form checks the old password, saves the new one, and update_session_auth_hash keeps
    # this session signed in while every other session's stored hash stops matching.
    if not request.user.is_authenticated:
        return HttpResponseRedirect("/login")
    form = PasswordChangeForm(request.user, request.POST)
    if not form.is_valid():
        return HttpResponse("refused", status=400)
    update_session_auth_hash(request, form.save())
    return HttpResponse("changed")


@csrf_exempt
def sign_out(request):
    logout(request)
    return HttpResponseRedirect("/login")


def login_dispatch(request):
    return sign_in(request) if request.method == "POST" else login_page(request)


urlpatterns = [
    path("login", csrf_exempt(login_dispatch)),
    path("account", account),
    path("logout", sign_out),
    path("password", change_password),
]

if __name__ == "__main__":
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    call_command("migrate", verbosity=0, interactive=False)
    get_user_model().objects.create_user("alice", password=os.environ["SM_PASSWORD"])
    server = make_server("127.0.0.1", 0, get_wsgi_application(), handler_class=Quiet)
    print(f"listening on {server.server_port}", flush=True)
    server.serve_forever()
