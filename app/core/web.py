"""Jinja environment, content-hashed static files, render(): a full page, or its fragment for htmx; and form_action(),
the one answer to a form whose action may be refused."""

from __future__ import annotations

import hashlib
import mimetypes
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Protocol, TypeVar, cast
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, pass_eval_context, select_autoescape
from jinja2.nodes import EvalContext
from markupsafe import Markup
from sqlmodel import Session
from starlette.types import Receive, Scope, Send

from app.core import formats, region
from app.core.config import ROOT, get_settings
from app.core.errors import DomainError
from app.core.formats import day, local_date, local_time, percent
from app.core.forms import FormErrors
from app.core.i18n import current_language, gettext, language_name, ngettext, translate

T = TypeVar("T")

TEMPLATES_DIR = ROOT / "templates"
STATIC_DIR = ROOT / "static"
STATIC_PREFIX = "/static/"
IMMUTABLE = "public, max-age=31536000, immutable"


@lru_cache
def static_manifest() -> dict[str, str]:
    """Maps each static file's name to its content-hashed name (css/site.css -> css/site.3f2a9c1b7d.css)."""
    manifest = {}
    for path in sorted(STATIC_DIR.rglob("*")):
        if not path.is_file() or path.suffix in {".md", ".LICENSE"}:
            continue
        name = path.relative_to(STATIC_DIR).as_posix()
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:10]
        stem, dot, suffix = name.rpartition(".")
        manifest[name] = f"{stem}.{digest}.{suffix}" if dot else f"{name}.{digest}"
    return manifest


def static_url(name: str) -> str:
    return STATIC_PREFIX + static_manifest()[name]


class HashedStatic:
    """Serves static files only under their hashed names, cached for a year: a new file gets a new name."""

    def __init__(self) -> None:
        self.files = {hashed: STATIC_DIR / name for name, hashed in static_manifest().items()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = self.files.get(scope["path"].removeprefix(STATIC_PREFIX).lstrip("/"))
        if path is None or scope["method"] not in ("GET", "HEAD"):
            response = Response("Not found", status_code=404, media_type="text/plain")
        else:
            media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            if media_type.startswith("text/") or media_type.endswith("javascript"):
                media_type += "; charset=utf-8"
            body = path.read_bytes() if scope["method"] == "GET" else b""
            response = Response(body, media_type=media_type, headers={"Cache-Control": IMMUTABLE})
        await response(scope, receive, send)


class _GettextEnvironment(Protocol):
    """The method the jinja2.ext.i18n extension adds to its Environment at run time, which Environment's type lacks."""

    def install_gettext_callables(
        self, gettext: Callable[[str], str], ngettext: Callable[[str, str, int], str], newstyle: bool | None = None
    ) -> None: ...


@lru_cache(maxsize=8192)
def _translation_markup(message: str, language: str, context: str | None) -> Markup:
    """A message's translation as markup: the catalogues are ours, so it is safe; only what fills it in is escaped."""
    return Markup(translate(message, language))  # noqa: S704 - as jinja2.ext.i18n does: templates translate our messages


@lru_cache(maxsize=8192)
def _translation_alone(message: str, language: str, context: str | None) -> Markup:
    """A message's translation with no value to fill in, formatted all the same ("%%" is written "%"), kept too:
    formatting markup costs more than looking the message up."""
    return _translation_markup(message, language, context) % {}


@pass_eval_context
def _template_gettext(eval_ctx: EvalContext, message: str, **variables: Any) -> str:
    """`_()` in templates, as jinja2.ext.i18n's own (the values escaped, the message always a format string), in one
    call where the extension's takes three: a page calls it hundreds of times."""
    if not eval_ctx.autoescape:
        return gettext(message) % variables
    key = (message, current_language.get(), getattr(message, "context", None))
    return _translation_markup(*key) % variables if variables else _translation_alone(*key)


@pass_eval_context
def _template_ngettext(eval_ctx: EvalContext, singular: str, plural: str, num: int, **variables: Any) -> str:
    """`ngettext()` in templates, as jinja2.ext.i18n's own, in one call: `num` fills in the message too."""
    variables.setdefault("num", num)
    text = ngettext(singular, plural, num)
    return (Markup(text) if eval_ctx.autoescape else text) % variables  # noqa: S704 - as above


@lru_cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # templates change only with a new release, which restarts the server: no stat per include
    )
    cast(_GettextEnvironment, env).install_gettext_callables(gettext, ngettext, newstyle=True)
    env.globals.update(_=_template_gettext, gettext=_template_gettext, ngettext=_template_ngettext)
    env.globals["static_url"] = static_url
    env.globals["semicolon"] = formats.semicolon
    # Everything a page writes for people goes through app.core.formats, in the page's language.
    env.filters.update(
        local_time=local_time,
        local_date=local_date,
        percent=percent,
        day=day,
        long_day=formats.long_day,
        label=formats.label,
        stored_day=formats.stored_day,
        when=formats.when,
        number=formats.number,
        money=formats.money,
        file_size=formats.file_size,
        machine_time=formats.machine_time,
        language_name=language_name,
        portal_language=lambda code: language_name(code, own=True),
    )
    return env


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def wants_part(request: Request) -> bool:
    """Whether htmx asks for a part of the page (not the whole page, as it does to restore history)."""
    return is_htmx(request) and request.headers.get("HX-Request-Type") != "full"


def current_page(request: Request) -> str:
    """Where a switch of language returns to: this page, or, on the answer to a form, the page the form was on."""
    if request.method == "GET":
        return request.url.path + (f"?{request.url.query}" if request.url.query else "")
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc == request.url.netloc and referer.path.startswith("/"):
        return referer.path + (f"?{referer.query}" if referer.query else "")
    return "/"


def page_context(request: Request) -> dict[str, Any]:
    """What every template may use: the visitor, the language, the CSRF token, the network's words."""
    settings = get_settings()
    language = current_language.get()
    network = region.load(settings.seeds_dir)
    visitor = getattr(request.state, "visitor", None)
    user = visitor.user if visitor else None
    return {
        "request": request,
        "here": current_page(request),
        "user": user,
        "language": language,
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "network_name": network.name(language),
        "network_short": network.short_name(language),
        "network_lead": network.lead(language),
        "subregion_names": network.subregions,
        "standing_names": network.standings,
        "option": network.options[settings.governance_option],
        "time_zone": user.time_zone if user else "UTC",
    }


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    partial: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Renders the full page, or only `partial` when htmx asks for a fragment.

    A page that has a fragment varies on the htmx headers, so no cache ever serves one in place of the other."""
    name = partial if partial and wants_part(request) else template
    html = environment().get_template(name).render({**page_context(request), **(context or {})})
    response = HTMLResponse(html, status_code=status_code, headers=headers)
    if partial:
        response.headers.append("Vary", "HX-Request, HX-Request-Type")
    return response


CONFIRMED = "yes"


@dataclass
class Confirmation:
    """The second step of an action that one click must not do: what it does, who is told, the button that does it."""

    question: str
    consequence: str
    told: list[str]
    button: str
    action: str
    back: str
    fields: dict[str, str] = field(default_factory=dict)


def confirm_first(request: Request, confirmation: Confirmation) -> HTMLResponse:
    """The page that asks before a cancellation, a removal or a deactivation; it works without JavaScript."""
    return render(request, "confirm.html", {"confirmation": confirmation})


def form_action(
    session: Session,
    action: Callable[[], T],
    done: Callable[[T], Response],
    refused: Callable[[str, int], Response],
    *,
    on_page: Collection[int] = (),
) -> Response:
    """Runs a form's action and answers with `done(result)`. A refusal is rolled back, so nothing is changed; then
    one the reader may not make (403) or about what is not there (404) goes on to the error page, and any other is
    answered by `refused(message, status)`: the form's page again, the message beside the form, what was typed kept.
    `on_page` names the 403 or 404 a route shows beside its form all the same."""
    try:
        result = action()
    except DomainError as error:
        session.rollback()
        if error.status_code in (403, 404) and error.status_code not in on_page:
            raise
        return refused(error_text(error), error.status_code)
    return done(result)


class Messages(str):
    """Several refusals of one form as one text, each its own sentence; `each` lists them for a page to show."""

    each: tuple[str, ...]

    def __new__(cls, each: list[str]) -> Messages:
        text = super().__new__(cls, " ".join(each))  # every refusal is written as a sentence, ending with its stop
        text.each = tuple(each)
        return text


def error_text(error: Exception) -> str:
    """A domain error's message in the request's language; every message of a FormErrors, as Messages."""
    if not isinstance(error, DomainError):
        return str(error)
    if isinstance(error, FormErrors):
        return Messages([_message(each) for each in error.errors])
    return _message(error)


def _message(error: DomainError) -> str:
    text = gettext(error.message)
    params = {key: _shown(value) for key, value in error.params.items()}
    return text % params if params else text


def _shown(value: object) -> object:
    """A message parameter as the reader sees it: labels translated, names in the reader's language."""
    from app.core.errors import FileSize, Label, Localised, Quantity

    if isinstance(value, FileSize):
        return formats.file_size(value)
    if isinstance(value, Quantity):
        return formats.number(value)
    if isinstance(value, Label):
        return gettext(value)
    if isinstance(value, Localised):
        return value.in_language(current_language.get())
    if isinstance(value, region.Localised):
        return value(current_language.get())
    return value


def safe_next(target: str | None, default: str = "/") -> str:
    """A redirect target on this site only (a path, never another host)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target
