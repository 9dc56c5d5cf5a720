"""A Django backend with the same key accepts our access tokens.

A minimal Django REST framework view authenticated by
rest_framework_simplejwt's JWTAuthentication (Debian's
python3-djangorestframework-simplejwt) and configured with our HS256 key must
accept an access token phoneauth issued and refuse its refresh token, with no
code of ours involved on the Django side. The Django user is created with the
id from phoneauth's users table, as it would be in a shared database.
"""

import sys

from pa import Client, check, fresh_phone, jwt_key, run, signup, test, user_row

try:
    import django
    from django.conf import settings
except ImportError as e:  # scripts/deps.sh installs it; say so if it could not
    print("SKIP django_accepts_our_access_token: python3-djangorestframework-simplejwt "
          "is not installed (%s)" % e)
    sys.exit(0)

settings.configure(
    DEBUG=False,
    SECRET_KEY="unused-by-this-test-but-required-by-django",
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "rest_framework"],
    REST_FRAMEWORK={"DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication"]},
    SIMPLE_JWT={"ALGORITHM": "HS256", "SIGNING_KEY": jwt_key().decode()},
    USE_TZ=True,
)
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from rest_framework.permissions import IsAuthenticated  # noqa: E402
from rest_framework.response import Response  # noqa: E402
from rest_framework.test import APIRequestFactory  # noqa: E402
from rest_framework.views import APIView  # noqa: E402

call_command("migrate", verbosity=0, run_syncdb=True)


class Whoami(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({"id": request.user.id})


def call(token):
    request = APIRequestFactory().get("/whoami", HTTP_AUTHORIZATION="Bearer " + token)
    response = Whoami.as_view()(request)
    response.render()
    return response


@test
def django_accepts_our_access_token_and_refuses_the_refresh_token():
    phone = fresh_phone()
    tokens = signup(Client(), phone)
    uid = user_row(phone)["id"]
    get_user_model().objects.create(id=uid, username=phone)
    r = call(tokens["access_token"])
    check(r.status_code == 200 and r.data == {"id": uid}, (r.status_code, r.data))
    r = call(tokens["refresh_token"])
    check(r.status_code == 401, (r.status_code, r.data))
    r = call(tokens["access_token"][:-2] + "xx")
    check(r.status_code == 401, (r.status_code, r.data))


if __name__ == "__main__":
    run()
