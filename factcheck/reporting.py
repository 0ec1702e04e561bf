"""Error reports that never print a credential (RELIABILITY.md A10).

Django's filter hides settings whose *names* look secret (KEY, TOKEN, PASS, …). Our credentials sit
*inside* URLs: DATABASE_URL, REDIS_URL, CELERY_BROKER_URL, CACHES' LOCATION, a webhook URL someone posted.
CredentialFilter masks the password part of every `scheme://user:password@host` in settings, request
data (GET, POST, META) and the local variables of the traceback; CredentialReporter runs the same mask
over the finished page or text, for whatever reaches it another way (an object's repr, the request URL).
Used by the debug page (only where DEBUG is on) and by the reports mailed or logged on a 500.
"""

from __future__ import annotations

import re

from django.http import QueryDict
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

MASK = SafeExceptionReporterFilter.cleansed_substitute
# scheme://user:password@ (user may be empty, as in redis://:password@host); the password ends at '@'.
URL_CREDENTIALS = re.compile(r"(?P<prefix>[A-Za-z][A-Za-z0-9+.-]*://[^:/@\s'\"<>]*:)[^@\s'\"<>/]+@")


def mask_credentials(text: str) -> str:
    return URL_CREDENTIALS.sub(lambda match: f"{match['prefix']}{MASK}@", text)


def mask_value(value):
    """The same value with credentials inside URLs masked: strings, and strings in dicts, lists, tuples."""
    if isinstance(value, str):
        return mask_credentials(value)
    if isinstance(value, dict):
        return {key: mask_value(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(mask_value(item) for item in value)
    return value


class CredentialFilter(SafeExceptionReporterFilter):
    def cleanse_setting(self, key, value):
        return mask_value(super().cleanse_setting(key, value))

    def cleanse_special_types(self, request, value):
        value = super().cleanse_special_types(request, value)
        if isinstance(value, QueryDict):
            return self.masked_query_dict(value)
        return mask_value(value)

    def get_post_parameters(self, request):
        parameters = super().get_post_parameters(request)
        return self.masked_query_dict(parameters) if isinstance(parameters, QueryDict) else parameters

    @staticmethod
    def masked_query_dict(parameters: QueryDict) -> QueryDict:
        masked = parameters.copy()
        for key, values in parameters.lists():
            masked.setlist(key, [mask_credentials(v) if isinstance(v, str) else v for v in values])
        return masked


class CredentialReporter(ExceptionReporter):
    def get_traceback_html(self):
        return mask_credentials(str(super().get_traceback_html()))

    def get_traceback_text(self):
        return mask_credentials(str(super().get_traceback_text()))
