"""The save and delete steps every configuration page shares.

A save either succeeds (the daemon is asked to reload and the technician is
told whether the change is live) or shows the store's refusal beside its field
with the typed values kept; a delete is refused with the store's reason. One
place, so every page behaves the same.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import abort, flash, redirect, url_for
from flask.typing import ResponseReturnValue

from firmware.store.models import ConfigError, NotFoundError
from webui.daemon_link import announce_saved

T = TypeVar("T")


def save_or_show(
    save: Callable[[], T],
    show: Callable[[dict[str, str]], ResponseReturnValue],
    saved: Callable[[T], str],
    index: str,
    field_of: Callable[[ConfigError], str] = lambda error: error.field,
) -> ResponseReturnValue:
    """Run ``save``; on a refusal redisplay the form via ``show`` with the error by its field."""
    try:
        item = save()
    except NotFoundError:
        abort(404)
    except ConfigError as exc:
        return show({field_of(exc): exc.message})
    announce_saved(saved(item))
    return redirect(url_for(index))


def delete_or_explain(
    delete: Callable[[], None], what: str, index: str, deleted: str | None = None
) -> ResponseReturnValue:
    """Run ``delete``; a refusal is flashed with the store's reason and nothing changes."""
    try:
        delete()
    except NotFoundError:
        abort(404)
    except ConfigError as exc:
        flash(f"{what} was not deleted: {exc.message}.", "error")
        return redirect(url_for(index))
    announce_saved(deleted or f"{what} deleted.")
    return redirect(url_for(index))
