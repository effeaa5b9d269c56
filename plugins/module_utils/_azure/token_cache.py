# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the module calls of one run keep for each other in a folder the run owns (opt-in).

- MSAL's token cache, persisted by msal-extensions (the library behind azure-identity's
  TokenCachePersistenceOptions), so a service principal asks Azure AD for a token once per run.
- The ``/metadata/endpoints`` answer of a URL cloud (public data), so it is read once per run.
- The scale set's GET (public model data), for the calls that only need what never changes in a run (its
  orchestration mode and id) or only choose a read's cost by it (its capacity), for a short time.

The folder must already exist, belong to this user and have mode 0700; a folder or file that does not
pass, or a cache that cannot be read, is ignored with a warning and the call goes on as without it.
Nothing read from the folder is ever put in a message: warnings name the path and the reason only.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib
import json
import os
import stat
import time

ENV_NAME = 'AZURE_VMSS_TOKEN_CACHE_DIR'

# azure-identity keeps CAE and non-CAE tokens apart (.cae / .nocae); so do we.
TOKEN_FILES = {'_cache': 'msal_token_cache.nocae.json', '_cae_cache': 'msal_token_cache.cae.json'}

# msal-extensions holds its lock file for the milliseconds of a write; an older one was left by a killed
# process and would make every token write wait 5 s for it.
STALE_LOCK_SECONDS = 60

READ_ATTEMPTS = 3
READ_RETRY_SECONDS = 0.2


def dir_problem(path, euid=None):
    """Why ``path`` may not hold this user's tokens, or None."""
    return _private_problem(path, True, euid)


def file_problem(path, euid=None):
    """Why the cache file ``path`` may not be read, or None (also None when it does not exist yet)."""
    return _private_problem(path, False, euid)


def _private_problem(path, folder, euid):
    euid = os.geteuid() if euid is None else euid
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return 'does not exist; create it with mode 0700 (for example with mktemp -d)' if folder else None
    except OSError as exc:
        return 'cannot be examined (%s)' % (exc.strerror or exc.__class__.__name__)
    if stat.S_ISLNK(info.st_mode):
        return 'is a symbolic link; give the real folder' if folder else 'is a symbolic link'
    if not (stat.S_ISDIR(info.st_mode) if folder else stat.S_ISREG(info.st_mode)):
        return 'is not a folder' if folder else 'is not a regular file'
    if info.st_uid != euid:
        return 'belongs to uid %d, not to this user (uid %d)' % (info.st_uid, euid)
    if info.st_mode & 0o077:
        return 'has mode %04o; it must be %s' % (stat.S_IMODE(info.st_mode),
                                                 '0700 so that only its owner can enter it' if folder else '0600')
    return None


def _read_json(path, expect=dict):
    """The file's JSON (None when absent or empty); ValueError when it is not JSON of type ``expect``.

    Another module call may be rewriting the file right now (msal-extensions truncates, then writes), so
    a failed parse is tried again a few times before the file is called corrupt.
    """
    for attempt in range(READ_ATTEMPTS):
        try:
            with open(path, 'r') as handle:
                text = handle.read()
        except FileNotFoundError:
            return None
        if not text.strip():
            return None
        try:
            data = json.loads(text)
        except ValueError:
            data = ValueError
        if isinstance(data, expect):
            return data
        if attempt + 1 < READ_ATTEMPTS:
            time.sleep(READ_RETRY_SECONDS)
    raise ValueError('not a cache file')


class RunCache(object):
    """The run's folder, checked once per module call; ``warn`` receives every reason it is not used."""

    def __init__(self, path, warn):
        self.path = path
        self._warn = warn
        self.problem = dir_problem(path)
        if self.problem:
            self.warn('is not used: it %s' % self.problem)

    @property
    def usable(self):
        return self.problem is None

    def warn(self, text):
        self._warn('token_cache_dir %s %s. Tokens and cloud metadata are requested as without it.' % (self.path, text))

    def _checked_file(self, name, expect=dict):
        """(path, data) of a file in the folder; (None, None) when it may not be used (warned)."""
        path = os.path.join(self.path, name)
        problem = file_problem(path)
        if problem is None:
            try:
                return path, _read_json(path, expect)
            except (OSError, ValueError) as exc:
                problem = 'cannot be read (%s)' % ('not JSON, or cut short' if isinstance(exc, ValueError)
                                                   else exc.strerror or exc.__class__.__name__)
        self.warn('holds %s, which is ignored: it %s' % (name, problem))
        return None, None

    # -- tokens -------------------------------------------------------------------------------------
    def token_caches(self):
        """Keyword arguments for an azure-identity MSAL credential: its token caches, persisted here.

        ``{}`` when the folder or a cache file may not be used. azure-identity's own
        TokenCachePersistenceOptions cannot name a folder: on Linux it writes ``~/.IdentityService/NAME``
        and first tries the desktop keyring (libsecret), which would outlive the run. So the same
        msal-extensions objects it builds are given to the credential directly (its ``_cache`` and
        ``_cae_cache`` keywords, present from azure-identity 1.19 to at least 1.27; a unit test checks them).
        """
        if not self.usable:
            return {}
        paths = {}
        for keyword, name in TOKEN_FILES.items():
            path, _data = self._checked_file(name)
            if path is None:
                return {}
            if _lock_age(path + '.lockfile') > STALE_LOCK_SECONDS:
                self.warn('holds %s.lockfile, left by a call that was killed; remove it' % name)
                return {}
            paths[keyword] = path
        from msal_extensions import FilePersistence  # creates the file 0600 on first save
        return dict((keyword, _RunTokenCache(FilePersistence(path), self.warn)) for keyword, path in paths.items())

    # -- cloud metadata -----------------------------------------------------------------------------
    @staticmethod
    def _metadata_name(url):
        return 'cloud_metadata.%s.json' % hashlib.sha256(url.rstrip('/').lower().encode('utf-8')).hexdigest()[:16]

    def cloud(self, url, fetch, parse):
        """``parse(fetch(url))``, fetched once per run: later calls parse the answer kept in the folder.

        Only an answer that ``parse`` accepts is kept, so a bad answer is asked again next time.
        """
        if not self.usable:
            return parse(fetch(url))
        name = self._metadata_name(url)
        path, data = self._checked_file(name, expect=(dict, list))
        if data is not None:
            try:
                return parse(data)
            except Exception:  # written by another version, or edited: read it from the cloud again
                self.warn('holds %s, which is ignored: it is not a cloud description' % name)
        metadata = fetch(url)
        result = parse(metadata)
        if path is not None:
            self._write(path, json.dumps(metadata))
        return result

    def _write(self, path, text):
        """Write ``text`` to ``path`` whole (temporary file, then rename) with mode 0600."""
        temporary = '%s.%d.tmp' % (path, os.getpid())
        try:
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, 'w') as handle:
                handle.write(text)
            os.replace(temporary, path)
        except OSError as exc:
            self.warn('cannot be written (%s)' % (exc.strerror or exc.__class__.__name__))
            try:
                os.unlink(temporary)
            except OSError:
                pass

    # -- the scale set's GET -----------------------------------------------------------------------
    @staticmethod
    def _scale_set_name(resource_id):
        return 'scale_set.%s.json' % hashlib.sha256(resource_id.lower().encode('utf-8')).hexdigest()[:16]

    def scale_set(self, resource_id, max_age):
        """The scale set's GET answer another call of the run kept, if it is at most ``max_age`` seconds old; else
        None (the caller reads it from ARM). Only what is read the same for the whole run may come from here: the
        orchestration mode, the id, the capacity a read's cost is chosen by, never a decision's fresh data."""
        if not self.usable or max_age <= 0:
            return None
        name = self._scale_set_name(resource_id)
        _path, data = self._checked_file(name)
        if not data:
            return None
        read_at, body = data.get('read_at'), data.get('scale_set')
        if not isinstance(read_at, (int, float)) or not isinstance(body, dict) or not 0 <= time.time() - read_at <= max_age:
            return None
        return body

    def keep_scale_set(self, resource_id, body):
        """Keep the scale set's GET answer (public model data, no secret: ARM never returns one) for the run's calls."""
        if not self.usable:
            return
        path = os.path.join(self.path, self._scale_set_name(resource_id))
        problem = file_problem(path)
        if problem:
            self.warn('holds %s, which is ignored: it %s' % (os.path.basename(path), problem))
            return
        self._write(path, json.dumps(dict(read_at=time.time(), scale_set=body)))


def _lock_age(path):
    try:
        return time.time() - os.lstat(path).st_mtime
    except OSError:
        return 0


_TOKEN_CACHE_CLASS = []


def _token_cache_class():
    """The class, made on first use: msal is imported only when a cache is used (module_utils import without it)."""
    if _TOKEN_CACHE_CLASS:
        return _TOKEN_CACHE_CLASS[0]
    from msal import SerializableTokenCache
    from msal_extensions import PersistedTokenCache

    class RunTokenCache(PersistedTokenCache):
        """msal-extensions' persisted cache that falls back to memory instead of failing the call.

        A lock left behind by a killed process, a file that went missing or bad mid-run: the call warns
        once and keeps its tokens in memory (as azure-identity does without a persistent cache).
        """

        def __init__(self, persistence, warn):
            super(RunTokenCache, self).__init__(persistence)
            self._warn_once = warn
            self._in_memory = False

        def _fall_back(self, exc):
            if not self._in_memory:
                self._in_memory = True
                self._warn_once('could not be used mid-call (%s); this call keeps its token in memory'
                                % exc.__class__.__name__)

        def modify(self, *args, **kwargs):
            if not self._in_memory:
                try:
                    return super(RunTokenCache, self).modify(*args, **kwargs)
                except Exception as exc:  # LockError, OSError, a bad file: never fail the call for the cache
                    self._fall_back(exc)
            return SerializableTokenCache.modify(self, *args, **kwargs)

        def search(self, *args, **kwargs):
            if not self._in_memory:
                try:
                    return super(RunTokenCache, self).search(*args, **kwargs)
                except Exception as exc:
                    self._fall_back(exc)
            return SerializableTokenCache.search(self, *args, **kwargs)

    _TOKEN_CACHE_CLASS.append(RunTokenCache)
    return RunTokenCache


def _RunTokenCache(persistence, warn):
    return _token_cache_class()(persistence, warn)
