"""Partner API keys: from the environment and/or a keys file outside the repo.

- `SCIATICALM_PARTNER_KEYS`: "clinic=KEY,runclub=KEY2" (read at start-up).
- `SCIATICALM_PARTNER_KEYS_FILE`: a YAML mapping of partner name to one key or a
  list of keys (for rotation); a key may be given as "sha256:<hex digest>" so the
  file holds no usable secret. The file is re-read whenever it changes, so
  removing a key revokes it at once, without a restart.

Partner names become the conversation's channel name, so they are checked:
lower-case letters, digits, "-" and "_", and never a built-in channel's name.
Keys shorter than 16 characters are refused.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

logger = logging.getLogger(__name__)

KEYS_ENV = "SCIATICALM_PARTNER_KEYS"
KEYS_FILE_ENV = "SCIATICALM_PARTNER_KEYS_FILE"
MIN_KEY_LENGTH = 16
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{1,39}$")
RESERVED = {
    "rest", "socketio", "callback", "telegram", "twilio", "twilio_voice", "facebook",
    "slack", "botframework", "rocketchat", "mattermost", "webexteams", "hangouts",
    "rasa", "cmdline", "console", "partner", "queue", "collector",
}


def parse_env_keys(value: str) -> dict[str, list[str]]:
    """"clinic=KEY,runclub=KEY2" -> {"clinic": ["KEY"], "runclub": ["KEY2"]}."""
    keys: dict[str, list[str]] = {}
    for item in filter(None, (part.strip() for part in value.split(","))):
        name, sep, key = item.partition("=")
        if not sep:
            logger.warning("ignoring a %s entry without '=': expected name=key", KEYS_ENV)
            continue
        keys.setdefault(name.strip(), []).append(key.strip())
    return keys


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value]
    return []


def validated(raw: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """Drop bad partner names and short keys (with a warning naming the partner only)."""
    good: dict[str, list[str]] = {}
    for name, keys in raw.items():
        if not NAME.match(name) or name in RESERVED:
            logger.warning("ignoring partner %r: invalid or reserved name", name)
            continue
        usable = [k for k in keys if k.startswith("sha256:") or len(k) >= MIN_KEY_LENGTH]
        if len(usable) < len(keys):
            logger.warning("ignoring %d short key(s) of partner %r", len(keys) - len(usable),
                           name)
        if usable:
            good.setdefault(name, []).extend(usable)
    return good


class PartnerKeys:
    """Look up which partner a presented API key belongs to."""

    def __init__(self, env_keys: Mapping[str, list[str]], keys_file: Path | None) -> None:
        self._env_keys = validated(env_keys)
        self._file = keys_file
        self._file_stamp: tuple[float, int] | None = None
        self._file_keys: dict[str, list[str]] = {}

    def _reload_file(self) -> None:
        if self._file is None:
            return
        try:
            stat = self._file.stat()
        except OSError:
            if self._file_keys:
                logger.warning("partner keys file is gone: all its keys are revoked")
            self._file_stamp, self._file_keys = None, {}
            return
        stamp = (stat.st_mtime, stat.st_size)
        if stamp == self._file_stamp:
            return
        try:
            data = yaml.safe_load(self._file.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError):
            logger.error("cannot read the partner keys file: keeping no file keys")
            data = {}
        raw = {str(k): _as_list(v) for k, v in data.items()} if isinstance(data, dict) else {}
        self._file_keys = validated(raw)
        self._file_stamp = stamp

    def partners(self) -> list[str]:
        self._reload_file()
        return sorted(set(self._env_keys) | set(self._file_keys))

    def partner_for(self, presented: str | None) -> str | None:
        """The partner owning `presented`, compared in constant time; None if unknown."""
        if not presented:
            return None
        self._reload_file()
        digest = "sha256:" + hashlib.sha256(presented.encode()).hexdigest()
        found: str | None = None
        for source in (self._env_keys, self._file_keys):
            for name, keys in source.items():
                for key in keys:
                    candidate = digest if key.startswith("sha256:") else presented
                    if hmac.compare_digest(candidate.encode(), key.lower().encode()
                                           if key.startswith("sha256:") else key.encode()):
                        found = found or name
        return found
