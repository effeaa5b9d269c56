# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The replay server: the simulator's HTTPS listener, CA and Azure AD, with every ARM request answered from the
recordings (plans.py) instead of the simulated state.

Azure AD, cloud metadata and OpenID requests go to the simulator as usual, so modules authenticate for real;
ARM requests are matched by method, path (case-insensitive) and the query as ARM reads it (kinds.query_key:
api-version ignored). A request the current plan has no answer for gets 404 ``NoRecording`` and is logged as
a miss with its kind.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import threading

from armsim import Simulator, routes, server as armsim_server
from armsim.wire import Resp, send

from kinds import kind_of, request_key

RECORDED_HOST = 'https://management.azure.com'
RETRY_HEADERS = ('retry-after', 'retry-after-ms', 'x-ms-retry-after-ms')


class ReplayHandler(armsim_server.Handler):
    def _go(self):
        path = self.path.split('?', 1)[0]
        route, _params = routes.match(self.command.upper(), path)
        if routes.is_control(path) or route.kind == 'open':
            return super(ReplayHandler, self)._go()
        try:
            self.server.replay.answer(self)
        except (ConnectionError, OSError):
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _go


class Replay(object):
    """The plan of the current module run and what it served."""

    def __init__(self, base_url):
        self.base_url = base_url
        self.lock = threading.Lock()
        self.entries = []
        self.served = []
        self.misses = []
        self.requests = []

    def load(self, entries):
        with self.lock:
            self.entries = [dict(e, answers=list(e['answers']), cursor=0) for e in entries]
            self.served, self.misses, self.requests = [], [], []

    def _find(self, key):
        method, path, query = key
        for item in self.entries:
            if item['method'] == method and item['path'] == path and tuple(item['query']) == query:
                return item
        return None

    def answer(self, handler):
        from armsim.wire import read_body
        raw = read_body(handler)
        key = request_key(handler.command, handler.path)
        with self.lock:
            self.requests.append(dict(method=key[0], path=key[1], query=key[2], body=_json(raw),
                                      authorised=handler.headers.get('Authorization', '').startswith('Bearer ')))
            item = self._find(key)
            if item is None or not handler.headers.get('Authorization', '').startswith('Bearer '):
                self.misses.append(dict(kind=kind_of(handler.command, handler.path) or 'other', method=key[0],
                                        path=key[1], query=key[2]))
                reply = None
            else:
                reply = item['answers'][min(item['cursor'], len(item['answers']) - 1)]
                item['cursor'] += 1
                self.served.append(dict(reply, kind=kind_of(handler.command, handler.path) or 'other'))
        if reply is None:
            message = 'no recorded answer for %s %s' % (key[0], handler.path)
            send(handler, Resp(404, {'error': {'code': 'NoRecording', 'message': message}}), {})
            return
        send(handler, self._resp(reply), {})

    def _resp(self, reply):
        headers = {}
        for name, value in (reply['headers'] or {}).items():
            if name.lower() == 'content-type' or not isinstance(value, str):
                continue
            headers[name] = value.replace(RECORDED_HOST, self.base_url)
        if reply['status'] < 300 and not any(h in headers for h in RETRY_HEADERS):
            # Timing only: the SDK would wait its 15 s default between LRO polls where Azure's answer gave none.
            headers['retry-after-ms'] = '10'
        body = reply['body']
        if isinstance(body, (dict, list)):
            body = json.loads(json.dumps(body).replace(RECORDED_HOST, self.base_url))
        elif isinstance(body, str):
            body = body.encode('utf-8')
        return Resp(reply['status'], body, headers)


def _json(raw):
    try:
        return json.loads(raw) if raw and raw.strip() else None
    except ValueError:
        return raw.decode('utf-8', 'replace')


class ReplayServer(Simulator):
    """A Simulator (HTTPS, its CA, its Azure AD) whose ARM answers come from a Replay."""

    def __init__(self, **kwargs):
        kwargs.setdefault('proxy', False)
        kwargs.setdefault('scenario', 'basic')
        super(ReplayServer, self).__init__(**kwargs)
        self.replay = None

    def start(self):
        super(ReplayServer, self).start()
        self.replay = Replay(self.base_url)
        self._server.replay = self.replay
        self._server.RequestHandlerClass = ReplayHandler
        return self
