"""The running configuration as the admin's page shows it: no secret value, ever.

``redacted_config`` copies what an admin needs to check the set-up (sources, rules,
routing, agencies, deadlines, delivery, store) into plain values. Secrets live in
environment variables named by the configuration: the page gets those NAMES and
whether each is set, never what they hold. URLs lose their passwords, userinfo and
query values (which often carry tokens), and path segments that look like keys.
"""

import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from aduan.settings import AgencyConfig, Schedule, Settings, SourceConfig

MASK = "***"
#: a URL path segment this long with a digit in it is masked (webhook URLs with a key)
TOKEN_SEGMENT = 16
#: store URL query parameters whose values are shown; every other value is masked
SAFE_STORE_PARAMS = frozenset(
    {"sslmode", "connect_timeout", "application_name", "target_session_attrs"}
)


def redacted_config(settings: Settings, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """What the configuration page shows: names, numbers and flags, secrets only as env NAMES."""
    env = os.environ if environ is None else environ

    def env_var(name: str | None) -> dict[str, Any] | None:
        return _env(name, env) if name else None

    smtp = settings.delivery.smtp
    return {
        "sources": [_source(s, env) for s in settings.sources],
        "rules": [rule.model_dump(mode="json", exclude_defaults=True) for rule in settings.rules],
        "routing": {
            "schedule": schedule_label(settings.routing.schedule),
            "batch_size": settings.routing.batch_size,
            "triage_inbox": settings.routing.triage_inbox,
            "default_threshold": settings.classifier.default_threshold,
            "thresholds": dict(sorted(settings.classifier.thresholds.items())),
            "categories": dict(settings.categories),
            "dedupe_window_hours": settings.dedupe.window_hours,
            "dedupe_min_similarity": settings.dedupe.min_similarity,
        },
        "agencies": [_agency(a, env) for a in settings.agencies],
        "deadlines": settings.deadlines.model_dump(mode="json"),
        "delivery": {
            "schedule": schedule_label(settings.delivery.schedule),
            "smtp_host": smtp.host,
            "smtp_port": smtp.port,
            "smtp_security": smtp.security,
            "smtp_username_env": env_var(smtp.username_env),
            "smtp_password_env": env_var(smtp.password_env),
            "from_address": smtp.from_address,
            "max_attempts": settings.delivery.max_attempts,
            "webhook_timeout_seconds": settings.delivery.webhook_timeout_seconds,
            "allow_private_webhooks": settings.delivery.allow_private_webhooks,
            "digest_hour": settings.delivery.digest_hour,
        },
        "store": {"url": mask_store_url(settings.store.url)},
        "web": {
            "secret_key_env": env_var(settings.web.secret_key_env),
            "session_hours": settings.web.session_hours,
            "secure_cookies": settings.web.secure_cookies,
            "login_attempts": settings.web.login_attempts,
            "login_attempts_per_address": settings.web.login_attempts_per_address,
            "api_docs": settings.web.api_docs,
            "trusted_proxies": [str(n) for n in settings.web.trusted_proxies],
        },
        "privacy": {
            "original_text_roles": [r.value for r in settings.privacy.original_text_roles],
            "retention": settings.privacy.retention.model_dump(mode="json"),
        },
        "alerting": {
            "reopen_days": settings.routing.reopen_days,
            "escalation": {
                **settings.escalation.model_dump(mode="json", exclude={"schedule"}),
                "schedule": schedule_label(settings.escalation.schedule),
            },
            "alerts": {
                **settings.alerts.model_dump(
                    mode="json", exclude={"schedule", "webhook_url", "webhook_secret_env"}
                ),
                "schedule": schedule_label(settings.alerts.schedule),
                "webhook_url": mask_url(alerts_hook)
                if (alerts_hook := settings.alerts.webhook_url)
                else None,
                "webhook_secret_env": env_var(settings.alerts.webhook_secret_env),
            },
            "incidents": {
                **settings.incidents.model_dump(mode="json", exclude={"schedule"}),
                "schedule": schedule_label(settings.incidents.schedule),
            },
        },
    }


def _env(name: str, env: Mapping[str, str]) -> dict[str, Any]:
    # Only whether the variable holds something: its value never leaves this line.
    return {"name": name, "set": bool(env.get(name))}


def _source(source: SourceConfig, env: Mapping[str, str]) -> dict[str, Any]:
    return {
        "name": source.name,
        "platform": source.platform,
        "enabled": source.enabled,
        "schedule": schedule_label(source.schedule),
        "backfill_days": source.backfill_days,
        "monthly_read_cap": source.monthly_read_cap,
        "secrets": [
            {"option": option, **_env(name, env)} for option, name in sorted(source.secrets.items())
        ],
    }


def _agency(agency: AgencyConfig, env: Mapping[str, str]) -> dict[str, Any]:
    secret = agency.webhook_secret_env
    return {
        "code": agency.code,
        "name": agency.name,
        "email": agency.email,
        "webhook_url": mask_url(agency.webhook_url) if agency.webhook_url else None,
        "webhook_secret_env": _env(secret, env) if secret else None,
        "external": agency.external,
        "digest": agency.digest,
        "escalation_email": agency.escalation_email,
        "escalation_webhook": mask_url(agency.escalation_webhook)
        if agency.escalation_webhook
        else None,
        "head_email": agency.head_email,
        "head_webhook": mask_url(agency.head_webhook) if agency.head_webhook else None,
        "auto_assign": agency.auto_assign,
    }


def schedule_label(schedule: Schedule) -> str:
    """How often a job runs, in Indonesian ("setiap 15 menit")."""
    for value, unit in ((schedule.hours, "jam"), (schedule.minutes, "menit")):
        if value:
            return f"setiap {value} {unit}"
    return f"setiap {schedule.seconds} detik"


def mask_url(url: str) -> str:
    """*url* with any userinfo, query string, fragment and key-like path segment as ***."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return MASK
    netloc = host if ":" not in host else f"[{host}]"
    if port is not None:
        netloc += f":{port}"
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        netloc = f"{MASK}@{netloc}"
    query = MASK if parts.query else ""
    fragment = MASK if parts.fragment else ""
    path = "/".join(MASK if _looks_like_a_token(seg) else seg for seg in parts.path.split("/"))
    return urlunsplit((parts.scheme, netloc, path, query, fragment))


def _looks_like_a_token(segment: str) -> bool:
    """A path segment that is probably a credential (hooks/services/T0B1/XkT9...)."""
    return len(segment) >= TOKEN_SEGMENT and any(c.isdigit() for c in segment)


def mask_store_url(url: str) -> str:
    """The store URL with its password masked, and every query value not known to be harmless."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return MASK
    shown = parsed.set(query={}).render_as_string(hide_password=True)
    if not parsed.query:
        return shown
    query = [
        (key, value if key in SAFE_STORE_PARAMS else MASK)
        for key, values in sorted(parsed.query.items())
        for value in ((values,) if isinstance(values, str) else values)
    ]
    return f"{shown}?{urlencode(query, safe='*')}"
