"""limit_django.py — the same app as limit_flask.py in Django (Debian's
python3-django), configured in this one file: /upload reads request.body
and answers its size, /calls how many times /upload ran."""
import threading

from django.conf import settings

settings.configure(
    DEBUG=False,
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    SECRET_KEY="ffcgi-test-only",
    DATA_UPLOAD_MAX_MEMORY_SIZE=None,  # the body limit under test is the server's
    MIDDLEWARE=[],
    INSTALLED_APPS=[],
)

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.http import JsonResponse  # noqa: E402
from django.urls import path  # noqa: E402
from django.views.decorators.csrf import csrf_exempt  # noqa: E402

_lock = threading.Lock()
_uploads = 0


@csrf_exempt
def upload(request):
    global _uploads
    with _lock:
        _uploads += 1
    return JsonResponse({"size": len(request.body)})


def calls(request):
    with _lock:
        return JsonResponse({"uploads": _uploads})


urlpatterns = [path("upload", upload), path("calls", calls)]
app = get_wsgi_application()
