# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One exception type for the modules, and the translation of azure-core's exceptions into it."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

REDACTED = '********'


class AzureVmssError(Exception):
    """A failure a module reports with fail_json: ``msg`` plus result keys (``error``, ``status_code`` ...)."""

    def __init__(self, msg, status_code=None, error=None, **extra):
        super(AzureVmssError, self).__init__(msg)
        self.msg = msg
        self.status_code = status_code
        self.error = error
        self.extra = extra

    def result(self):
        data = dict(self.extra)
        if self.status_code is not None:
            data['status_code'] = self.status_code
        if self.error is not None:
            data['error'] = self.error
        return data


def redact(text, secrets):
    """Replace every known secret value in ``text``; secrets shorter than 4 characters are left (too common)."""
    if not text:
        return text
    for secret in secrets or ():
        if secret and len(secret) >= 4:
            text = text.replace(secret, REDACTED)
    return text


def _odata_to_dict(odata):
    if odata is None:
        return None
    details = []
    for detail in getattr(odata, 'details', None) or []:
        details.append(_odata_to_dict(detail))
    return {
        'code': getattr(odata, 'code', None),
        'message': getattr(odata, 'message', None),
        'target': getattr(odata, 'target', None),
        'details': details,
    }


def _normalize_error(body_error):
    """An ARM ``error`` object (from a CloudError body or a failed operation status) as our dict."""
    if not isinstance(body_error, dict):
        return None
    details = [_normalize_error(d) for d in body_error.get('details') or [] if isinstance(d, dict)]
    return {
        'code': body_error.get('code'),
        'message': body_error.get('message'),
        'target': body_error.get('target'),
        'details': details,
    }


def _error_from_response(response):
    """Read ``{"error": {...}}`` (or the Compute 429 body, whose code sits at the top) from a response."""
    if response is None:
        return None
    try:
        body = json.loads(response.text())
    except Exception:  # not JSON, no body, or a streamed body already consumed
        return None
    if not isinstance(body, dict):
        return None
    if isinstance(body.get('error'), dict):
        return _normalize_error(body['error'])
    if 'code' in body and 'message' in body:
        return _normalize_error(body)
    return None


def arm_error(exc):
    """``(status_code, error dict or None)`` of an azure-core HttpResponseError."""
    response = getattr(exc, 'response', None)
    status_code = getattr(exc, 'status_code', None) or getattr(response, 'status_code', None)
    error = _error_from_response(response) or _odata_to_dict(getattr(exc, 'error', None))
    if error is not None and not error.get('code') and not error.get('message'):
        error = None
    return status_code, error


TLS_HINT = ('The server certificate is not trusted: if the endpoint uses a private CA, set REQUESTS_CA_BUNDLE to a '
            'PEM bundle that contains it (verification cannot be turned off).')


def _untrusted_certificate(text):
    return 'CERTIFICATE_VERIFY_FAILED' in text or 'certificate verify failed' in text.lower()


def describe_action(operation, resource):
    """``'read the OS upgrade history of {target}'`` + a resource -> the phrase messages use."""
    if '{target}' in operation:
        return operation.format(target=resource)
    return '%s on %s' % (operation, resource)


def translate(exc, operation, resource, auth_description=None, secrets=()):
    """Turn any exception raised while talking to Azure into an AzureVmssError for the user.

    ``operation`` says what we tried, with ``{target}`` where the resource goes ("read the latest
    rolling upgrade of {target}"); ``resource`` names it ("scale set 'web' in resource group 'rg'");
    ``auth_description`` names the credential source, for authentication failures. No secret value
    survives: every message passes through ``redact``.
    """
    if isinstance(exc, AzureVmssError):
        exc.msg = redact(exc.msg, secrets)
        return exc
    from azure.core import exceptions as core_errors  # imported only on the failure path

    action = describe_action(operation, resource)
    if isinstance(exc, core_errors.ClientAuthenticationError):
        status_code, error = arm_error(exc)
        source = auth_description or 'the configured credentials'
        if status_code in (401, 403) and error is not None:
            if status_code == 403:
                msg = ('Cannot %s: Azure refused access (%s: %s). The identity from %s is known but lacks '
                       'permission: grant it a role that allows Microsoft.Compute/virtualMachineScaleSets on the '
                       'subscription or resource group.' % (action, error['code'], error['message'], source))
            else:
                msg = ('Cannot %s: Azure Resource Manager rejected the token obtained from %s (%s: %s).'
                       % (action, source, error['code'], error['message']))
            return AzureVmssError(redact(msg, secrets), status_code=status_code, error=error)
        text = str(getattr(exc, 'message', None) or exc).strip()
        if _untrusted_certificate(text):
            # azure-identity reports a TLS failure of the login endpoint as an authentication error.
            msg = 'Could not reach the login endpoint to %s (credentials from %s): %s. %s' % (action, source, text, TLS_HINT)
        else:
            msg = ('Authentication failed using %s while trying to %s: %s. Check the tenant, client id and '
                   'secret or certificate (or run with auth_source set to the source you intend).' % (source, action, text))
        return AzureVmssError(redact(msg, secrets), status_code=status_code, error=error)

    if isinstance(exc, core_errors.HttpResponseError):
        status_code, error = arm_error(exc)
        if error is not None:
            msg = 'Failed to %s: %s: %s' % (action, error.get('code'), error.get('message'))
        else:
            msg = 'Failed to %s: %s' % (action, str(getattr(exc, 'message', None) or exc).strip())
        if status_code is not None:
            msg += ' (HTTP %s)' % status_code
        return AzureVmssError(redact(msg, secrets), status_code=status_code, error=error)

    if isinstance(exc, core_errors.ServiceRequestError):
        text = str(exc)
        hint = ' ' + TLS_HINT if _untrusted_certificate(text) else ''
        msg = 'Could not reach Azure to %s: %s.%s' % (action, text, hint)
        return AzureVmssError(redact(msg, secrets))

    if isinstance(exc, core_errors.AzureError):
        msg = 'Failed to %s: %s' % (action, exc)
        return AzureVmssError(redact(msg, secrets))

    msg = 'Unexpected error while trying to %s: %s: %s' % (action, type(exc).__name__, exc)
    return AzureVmssError(redact(msg, secrets))


class NotAvailableError(AzureVmssError):
    """Azure refuses an operation for this kind of scale set (a Flexible one): information that does not
    exist there, not a failure of the credentials or the name. Modules report it and carry on."""
