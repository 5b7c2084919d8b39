"""The door's message catalogue: every finding about a received file, in Vietnamese and English.

Each message is written once, in `messages.yaml`, under a code. Parsing records *which* message
applies and its parameters (a `Message`); the words are rendered when a finding is shown, in
the language its reader needs: Vietnamese for boards (feedback workbooks, `validate`), English
beside it for engineers. Parameters that are messages themselves render in the same language.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

LANGUAGES = ("vi", "en")


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, str]]:
    """code -> {'vi': template, 'en': template}; loaded once per process."""
    entries = yaml.safe_load((Path(__file__).with_name("messages.yaml")).read_text(encoding="utf-8"))
    for code, entry in entries.items():
        missing = [lang for lang in LANGUAGES if not entry.get(lang)]
        if missing:
            raise ValueError(f"ingest/messages.yaml: {code} lacks {', '.join(missing)}")
    return entries


@dataclass(frozen=True)
class Message:
    """A catalogue message with its parameters, rendered on demand in either language."""

    code: str
    params: tuple[tuple[str, object], ...] = ()

    def render(self, lang: str) -> str:
        values = {k: v.render(lang) if isinstance(v, Message) else v for k, v in self.params}
        return catalogue()[self.code][lang].format_map(values)

    @property
    def en(self) -> str:
        return self.render("en")

    @property
    def vi(self) -> str:
        return self.render("vi")

    def __str__(self) -> str:
        return self.en


def msg(message_code: str, /, **params: object) -> Message:
    """The catalogue's message `message_code` with these parameters (checked to exist at once)."""
    if message_code not in catalogue():
        raise KeyError(f"no message {message_code!r} in ingest/messages.yaml")
    return Message(message_code, tuple(sorted(params.items())))
