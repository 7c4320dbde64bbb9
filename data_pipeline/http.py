"""The one HTTP client of the pipeline: timeouts always, bounded retries, clear errors.

Every public source goes through `HttpClient.get` (the Census Geocoder's batch form through
`HttpClient.post`, with the same rules). It retries only what can get better by
waiting (HTTP 429, HTTP 5xx, dropped connections, timeouts), with exponential backoff that
honours `Retry-After`, and gives up after a fixed number of attempts with one sentence
naming the URL (never a key), the status and what to do. Keys come from the environment
and are scrubbed from every message by `redact`.
"""
from __future__ import annotations

import json
import os
import re
import time
from email.utils import parsedate_to_datetime
from datetime import datetime, timezone
from typing import Any, Callable, Iterable
from urllib.parse import urlsplit

import requests

from core.errors import PipelineError

CENSUS_KEY_ENV = "CENSUS_API_KEY"
SOCRATA_TOKEN_ENV = "SOCRATA_APP_TOKEN"
CENSUS_KEY_SIGNUP = "https://api.census.gov/data/key_signup.html"
DEFAULT_USER_AGENT = "MainStreetAtlas/0.1 (open-data dashboard pipeline; python-requests)"
MAX_RETRY_AFTER = 120.0   # seconds: a longer Retry-After is cut to this
MAX_BACKOFF = 60.0
RETRY_STATUSES = frozenset({429}) | frozenset(range(500, 600))
TRANSIENT_ERRORS = (requests.ConnectionError, requests.Timeout,
                    requests.exceptions.ChunkedEncodingError)
# Query parameters that carry secrets in any URL we might print.
SECRET_QUERY = re.compile(
    r"(?i)([?&](?:key|api_key|apikey|\$\$app_token|app_token|token)=)[^&#\s'\"]+")
REDACTED = "[redacted]"
SECRET_HEADERS = frozenset({"x-app-token", "authorization"})
NUMBER_WORDS = ["zero", "once", "twice", "three times", "four times", "five times",
                "six times", "seven times", "eight times", "nine times", "ten times"]
_extra_secrets: set[str] = set()


class FetchError(PipelineError):
    """A download that failed; `url` never holds a secret, `status` is None without an answer."""

    def __init__(self, message: str, url: str = "", status: int | None = None):
        message = redact(message)
        super().__init__(message[:1].upper() + message[1:])
        self.url = redact(url)
        self.status = status


def census_key() -> str | None:
    """The Census API key from `CENSUS_API_KEY`, or None when unset or blank."""
    return (os.environ.get(CENSUS_KEY_ENV) or "").strip() or None


def socrata_token() -> str | None:
    """The Socrata app token from `SOCRATA_APP_TOKEN`, or None when unset or blank."""
    return (os.environ.get(SOCRATA_TOKEN_ENV) or "").strip() or None


def socrata_headers() -> dict[str, str]:
    """`X-App-Token` when a token is set: a higher request quota on every Socrata portal."""
    token = socrata_token()
    return {"X-App-Token": token} if token else {}


def redact(text: Any) -> str:
    """`text` with every known key or token value, and any `key=…` query value, removed."""
    out = str(text)
    secrets = {census_key(), socrata_token(), *_extra_secrets}
    for secret in sorted((s for s in secrets if s and len(s) >= 4), key=len, reverse=True):
        out = out.replace(secret, REDACTED)
    return SECRET_QUERY.sub(lambda m: m.group(1) + REDACTED, out)


def remember_secret(value: str | None) -> None:
    """Treat `value` as secret in every later `redact` (for keys not taken from the environment)."""
    if value:
        _extra_secrets.add(str(value))


def public_url(url: str) -> str:
    """The URL as we may print it: no query string, no secrets."""
    parts = urlsplit(url)
    return redact(f"{parts.scheme}://{parts.netloc}{parts.path}")


def service_name(url: str) -> str:
    """Plain words for who answered: 'Census API', 'the LEHD LODES server', 'the portal'."""
    host = urlsplit(url).netloc.lower()
    if host == "api.census.gov":
        return "Census API"
    if host == "lehd.ces.census.gov":
        return "the LEHD LODES server"
    if host == "geocoding.geo.census.gov":
        return "the Census Geocoder"
    if host.endswith("census.gov"):
        return "the Census download server"
    return "the portal"


def times(count: int) -> str:
    return NUMBER_WORDS[count] if count < len(NUMBER_WORDS) else f"{count} times"


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds a `Retry-After` header asks for (seconds or HTTP date), capped; None if absent."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    wait = (when - (now or datetime.now(timezone.utc))).total_seconds()
    return min(max(wait, 0.0), MAX_RETRY_AFTER)


class HttpClient:
    """A requests.Session with a timeout on every call and bounded, polite retries.

    `max_retries` is the number of attempts in all (the first one included); `sleep` is
    injected so tests can run without waiting.
    """

    def __init__(self, user_agent: str = DEFAULT_USER_AGENT,
                 timeout: tuple[float, float] = (10, 60), max_retries: int = 5,
                 backoff: float = 1.0,
                 sleep: Callable[[float], None] | None = None):
        self.session = requests.Session()
        self.session.headers["User-Agent"] = user_agent
        self.timeout = timeout
        self.max_retries = max(1, int(max_retries))
        self.backoff = backoff
        self.sleep = sleep or _pause

    def get(self, url: str, params: Any = None, headers: dict | None = None,
            secret_params: Iterable[str] = (), stream: bool = False) -> requests.Response:
        """GET `url`; retry 429/5xx/connection failures; raise FetchError on failure."""
        _remember_secrets(params, secret_params, headers)
        return self._send("GET", url, params=params, headers=headers, stream=stream)

    def post(self, url: str, data: dict | None = None, files: dict | None = None,
             headers: dict | None = None, read_timeout: float | None = None) -> requests.Response:
        """POST a form (multipart when `files` is given) with the same retries and errors.

        File contents must be bytes, not open files, so that a retry sends them again.
        `read_timeout` lengthens the wait for an answer for a service that answers only
        when its work is done (the Census Geocoder's batches); the connect timeout stays.
        """
        _remember_secrets(None, (), headers)
        timeout = (self.timeout[0], read_timeout) if read_timeout else self.timeout
        return self._send("POST", url, timeout, data=data, files=files, headers=headers)

    def _send(self, method: str, url: str, timeout=None, **options) -> requests.Response:
        last: requests.Response | None = None
        reason = ""
        for attempt in range(1, self.max_retries + 1):
            try:
                last = self.session.request(method, url, timeout=timeout or self.timeout,
                                            **options)
            except TRANSIENT_ERRORS as error:
                last, reason = None, _describe(error)
            except requests.RequestException as error:   # a bad URL, too many redirects…
                raise FetchError(f"Could not ask {service_name(url)} at {public_url(url)} "
                                 f"({type(error).__name__}); check the address.", url) from None
            else:
                if last.status_code not in RETRY_STATUSES:
                    return _checked(last, url)
                last.close()
            if attempt < self.max_retries:
                self.sleep(self._wait(attempt, last))
        raise _gave_up(url, last, reason, self.max_retries)

    def _wait(self, attempt: int, response: requests.Response | None) -> float:
        if response is not None:
            asked = retry_after_seconds(response.headers.get("Retry-After"))
            if asked is not None:
                return asked
        return min(self.backoff * 2 ** (attempt - 1), MAX_BACKOFF)


def _pause(seconds: float) -> None:
    """Wait between attempts (`time.sleep` looked up at call time, so tests can patch it)."""
    time.sleep(seconds)


def _remember_secrets(params: Any, secret_params: Iterable[str], headers: dict | None) -> None:
    """Values of secret parameters and headers, so that `redact` removes them everywhere."""
    names = set(secret_params)
    pairs = params.items() if isinstance(params, dict) else (params or ())
    for name, value in pairs:
        if name in names:
            remember_secret(str(value))
    for name, value in (headers or {}).items():
        if name.lower() in SECRET_HEADERS:
            remember_secret(str(value))


def _describe(error: Exception) -> str:
    if isinstance(error, requests.Timeout):
        return "it did not answer in time"
    if isinstance(error, requests.exceptions.ChunkedEncodingError):
        return "the connection broke off mid-answer"
    return "the connection failed or was reset"


def _gave_up(url: str, last: requests.Response | None, reason: str, attempts: int) -> FetchError:
    where = f"{service_name(url)} at {public_url(url)}"
    if last is None:
        return FetchError(f"Could not reach {where}: {reason}, {times(attempts)}; check the network "
                          "connection and try again, or build with --offline.", url)
    return FetchError(f"{where} answered HTTP {last.status_code} {times(attempts)}; try again "
                      "later or build with --offline.", url, last.status_code)


def _checked(response: requests.Response, url: str) -> requests.Response:
    """The response if it is a success; else a FetchError saying what was refused and why."""
    if response.status_code < 400:
        return response
    status = response.status_code
    where = f"{service_name(url)} at {public_url(url)}"
    detail = _body_snippet(response)
    hint = _refusal_hint(url, status)
    raise FetchError(f"{where} refused the request with HTTP {status}"
                     f"{f' ({detail})' if detail else ''}; {hint}.", url, status)


def _refusal_hint(url: str, status: int) -> str:
    census = urlsplit(url).netloc.lower() == "api.census.gov"
    if status in (401, 403) and census:
        return f"check the key in {CENSUS_KEY_ENV} (get one at {CENSUS_KEY_SIGNUP})"
    if status in (401, 403):
        return f"check the token in {SOCRATA_TOKEN_ENV}, or unset it to use the public quota"
    if urlsplit(url).netloc.lower() == "geocoding.geo.census.gov":
        return "check geocode.benchmark in the city profile, or try again later"
    if status == 404:
        return "check the dataset id, year or state in the city profile"
    return "check the dataset, variables and geography asked for in the city profile"


def _body_snippet(response: requests.Response, limit: int = 160) -> str:
    """The start of an error body, as one line of plain text (HTML tags dropped)."""
    try:
        text = response.text
    except Exception:  # noqa: BLE001 - an unreadable body just means no detail
        return ""
    text = re.sub(r"<[^>]+>", " ", text)
    text = " ".join(text.split())
    return redact(text[:limit] + ("…" if len(text) > limit else ""))


def looks_like_html(content: bytes) -> bool:
    head = content[:512].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<div", b"<?xml", b"<head", b"<body"))


def decode_json(response: requests.Response, what: str, empty: Any = None) -> Any:
    """The JSON body of `response`; a clear FetchError for a web page or broken JSON.

    The Census API answers a refused or missing key with HTTP 200 and an HTML page; it
    answers a query with no rows with HTTP 204 and no body (`empty` is returned then).
    """
    first = response.history[0] if response.history else response   # before any redirect
    url = first.request.url if first.request is not None else ""
    content = response.content or b""
    if response.status_code == 204 or not content.strip():
        if empty is not None:
            return empty
        raise FetchError(f"{service_name(url)} at {public_url(url)} sent an empty answer for "
                         f"{what}; try again later or build with --offline.", url)
    if looks_like_html(content) or _key_error_header(response):
        raise _html_error(response, url, what)
    try:
        return json.loads(content)
    except ValueError as error:  # JSONDecodeError and UnicodeDecodeError both are
        problem = getattr(error, "msg", None) or getattr(error, "reason", "unreadable")
        raise FetchError(f"{service_name(url)} at {public_url(url)} sent {what} that is not valid "
                         f"JSON ({problem.lower()}: it may have been cut off); run the build "
                         "again.", url) from None


def _key_error_header(response: requests.Response) -> bool:
    return any(name.lower() == "x-datawebapi-keyerror" for name in response.headers)


def _html_error(response: requests.Response, url: str, what: str) -> FetchError:
    where = f"{service_name(url)} at {public_url(url)}"
    if urlsplit(url).netloc.lower() != "api.census.gov":
        return FetchError(f"{where} sent a web page instead of {what}; check the address in the "
                          "city profile or try again later.", url, response.status_code)
    if census_key():
        return FetchError(f"{where} sent a web page instead of {what}: the key in {CENSUS_KEY_ENV} "
                          f"was refused; check it (or get a new one at {CENSUS_KEY_SIGNUP}).",
                          url, response.status_code)
    return FetchError(f"{where} sent a web page instead of {what}: it needs a key; get a free one "
                      f"at {CENSUS_KEY_SIGNUP} and set {CENSUS_KEY_ENV}.", url, response.status_code)
