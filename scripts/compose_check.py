"""What compose.yaml must keep, beyond the compose-spec schema (scripts/smoke.sh).

Usage: compose_check.py compose.yaml
"""

import sys

from ruamel.yaml import YAML


def problems(compose: dict) -> list[str]:
    services = compose.get("services", {})
    found = []
    for name in ("db", "redis", "migrate", "web", "worker", "beat"):
        if name not in services:
            found.append(f"service {name} is missing")
    beats = [
        name
        for name, service in services.items()
        if "beat" in " ".join(map(str, service.get("command", [])))
    ]
    if beats != ["beat"]:
        found.append(f"exactly one service must run celery beat, found {beats}")
    if services.get("beat", {}).get("deploy", {}).get("replicas", 1) != 1:
        found.append("beat must have exactly one replica")
    for name in ("db", "redis", "web", "worker", "beat"):
        check = services.get(name, {}).get("healthcheck", {})
        if not check.get("test") or check.get("disable"):
            found.append(f"service {name} has no health check")
    web_check = " ".join(services.get("web", {}).get("healthcheck", {}).get("test", []))
    if "/health/ready" not in web_check:
        found.append("web's health check must ask /health/ready")
    for name in ("web", "worker", "beat", "migrate"):
        service = services.get(name, {})
        env = service.get("environment", {})
        if env.get("DEBUG") != "false":
            found.append(f"service {name} must run with DEBUG=false")
        if "SECRET_KEY" in env and not str(env["SECRET_KEY"]).startswith("${"):
            found.append(f"service {name} has a SECRET_KEY written in the file")
        if name != "migrate" and (
            service.get("depends_on", {}).get("migrate", {}).get("condition")
            != "service_completed_successfully"
        ):
            found.append(f"service {name} must start after the migrations")
    return found


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as handle:
        data = YAML(typ="safe").load(handle)
    issues = problems(data)
    for issue in issues:
        print(f"FAIL {issue}")
    if not issues:
        print("compose.yaml: services, one beat, health checks, DEBUG=false: ok")
    sys.exit(1 if issues else 0)
