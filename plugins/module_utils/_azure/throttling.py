# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How long a throttled (429) answer asks to wait when it has no Retry-After header.

Azure's recorded 429s (``SubscriptionRequestsThrottled``) say the wait only in the message: "Please try again
after '6' seconds." (tests/replay/recordings). azure-core's RetryPolicy reads headers only, so without this it
backs off 0.8 s, 1.6 s ... and spends its retries inside the throttling window.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import re

_WAIT_IN_MESSAGE = re.compile(r"try again after '?(\d+(?:\.\d+)?)'? seconds?", re.I)
# A message can ask for any wait; beyond an hour it is more likely garbled than meant.
MAX_MESSAGE_WAIT = 3600.0


def wait_from_body(text):
    """Seconds a 429 body's error message asks to wait, or None. ``text`` is the body as ARM sent it."""
    try:
        body = json.loads(text) if isinstance(text, str) else text
    except ValueError:
        body = None
    message = ''
    if isinstance(body, dict):
        error = body.get('error') if isinstance(body.get('error'), dict) else body
        message = str(error.get('message') or '')
    elif isinstance(text, str):
        message = text
    match = _WAIT_IN_MESSAGE.search(message)
    if not match:
        return None
    seconds = float(match.group(1))
    return seconds if 0 < seconds <= MAX_MESSAGE_WAIT else None


def _body_text(http_response):
    try:
        return http_response.text()
    except Exception:  # a body that cannot be read says nothing about the wait
        return None


def retry_policy(**settings):
    """azure-core's RetryPolicy with ``settings``, which on a 429 without a retry header waits what the
    message says, for every method (as azure-core does for an answer with Retry-After)."""
    from azure.core.pipeline.policies import RetryPolicy

    class MessageRetryPolicy(RetryPolicy):
        def _message_wait(self, response):
            http_response = response.http_response
            if http_response.status_code != 429:
                return None
            return wait_from_body(_body_text(http_response))

        def get_retry_after(self, response):
            seconds = super(MessageRetryPolicy, self).get_retry_after(response)
            return seconds if seconds is not None else self._message_wait(response)

        def is_retry(self, settings, response):
            if super(MessageRetryPolicy, self).is_retry(settings, response):
                return True
            return bool(settings['total']) and self._message_wait(response) is not None

    return MessageRetryPolicy(**settings)
