"""What a running image says: its first log lines, its access log, its HTTP answers."""

from __future__ import annotations

import time

from .images import lookup, repository

_HEALTH_PATHS = {
    "/health",
    "/healthz",
    "/api/health",
    "/api/healthz",
    "/ping",
    "/alive",
    "/-/healthy",
    "/status",
    "/api/status",
    "/livez",
    "/readyz",
}


def _stamp(now: float, fmt: str) -> str:
    return time.strftime(fmt, time.gmtime(now))


def startup_lines(ref: str, ports: list[int], now: float) -> list[str]:
    """Plausible first log lines of a container of this image."""
    info = lookup(ref)
    kind = info.kind if info else "app"
    title = (info.title if info else "") or repository(ref).rsplit("/", 1)[-1]
    port = ports[0] if ports else 80
    iso = _stamp(now, "%Y-%m-%dT%H:%M:%S.000Z")
    slash = _stamp(now, "%Y/%m/%d %H:%M:%S")
    if kind == "nginx":
        return [
            "/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration",  # noqa: E501
            "/docker-entrypoint.sh: Looking for shell scripts in /docker-entrypoint.d/",
            "/docker-entrypoint.sh: Launching /docker-entrypoint.d/10-listen-on-ipv6-by-default.sh",
            "10-listen-on-ipv6-by-default.sh: info: Enabled listen on IPv6 in /etc/nginx/conf.d/default.conf",  # noqa: E501
            "/docker-entrypoint.sh: Configuration complete; ready for start up",
            f'{slash} [notice] 1#1: using the "epoll" event method',
            f"{slash} [notice] 1#1: nginx/1.29.1",
            f"{slash} [notice] 1#1: start worker processes",
        ]
    if kind == "httpd":
        return [
            f"[{_stamp(now, '%a %b %d %H:%M:%S.000000 %Y')}] [mpm_event:notice] [pid "
            "1:tid 1] AH00489: Apache/2.4.65 (Unix) configured -- resuming normal operations"
        ]
    if kind == "postgres":
        ts = _stamp(now, "%Y-%m-%d %H:%M:%S.000 UTC")
        return [
            "PostgreSQL init process complete; ready for start up.",
            f"{ts} [1] LOG:  starting PostgreSQL 16.10 on x86_64-pc-linux-gnu",
            f'{ts} [1] LOG:  listening on IPv4 address "0.0.0.0", port {port}',
            f'{ts} [1] LOG:  listening on Unix socket "/var/run/postgresql/.s.PGSQL.{port}"',
            f"{ts} [1] LOG:  database system is ready to accept connections",
        ]
    if kind == "redis":
        ts = _stamp(now, "%d %b %Y %H:%M:%S.000")
        return [
            f"1:C {ts} * oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo",
            f"1:M {ts} * Server initialized",
            f"1:M {ts} * Ready to accept connections tcp",
        ]
    if kind == "mysql":
        ts = _stamp(now, "%Y-%m-%d %H:%M:%S")
        return [
            f"{ts}+00:00 [Note] [Entrypoint]: Entrypoint script for MariaDB Server started.",
            f"{ts} 0 [Note] InnoDB: Buffer pool(s) load completed",
            f"{ts} 0 [Note] mariadbd: ready for connections.",
            f"Version: '11.8.3-MariaDB-ubu2404'  socket: '/run/mysqld/mysqld.sock'  port: {port}  mariadb.org binary distribution",  # noqa: E501
        ]
    if kind == "mongo":
        return [
            f'{{"t":{{"$date":"{iso}"}},"s":"I","c":"NETWORK","id":23015,"ctx":"listener","msg":"Listening on","attr":{{"address":"0.0.0.0"}}}}',  # noqa: E501
            f'{{"t":{{"$date":"{iso}"}},"s":"I","c":"NETWORK","id":23016,"ctx":"listener","msg":"Waiting for connections","attr":{{"port":{port},"ssl":"off"}}}}',  # noqa: E501
        ]
    if kind == "linuxserver":
        return [
            "[migrations] started",
            "[migrations] no migrations found",
            "usermod: no changes",
            "[custom-init] No custom files found, skipping...",
            f"[ls.io-init] done. {title} listening on port {port}",
        ]
    if kind == "vaultwarden":
        return [
            "/--------------------------------------------------------------------\\",
            "|                        Starting Vaultwarden                        |",
            "\\--------------------------------------------------------------------/",
            f"[{_stamp(now, '%Y-%m-%d %H:%M:%S.000')}][start][INFO] Rocket has launched from http://0.0.0.0:{port}",  # noqa: E501
        ]
    if kind == "grafana":
        return [
            f'logger=settings t={iso} level=info msg="Starting Grafana" version=12.1.1',
            f'logger=http.server t={iso} level=info msg="HTTP Server Listen" address=[::]:{port} protocol=http',  # noqa: E501
        ]
    if kind == "hello":
        return [
            "",
            "Hello from Docker!",
            "This message shows that your installation appears to be working correctly.",
            "",
        ]
    if kind == "go":
        return [
            f'time="{iso}" level=info msg="Starting {title}"',
            f'time="{iso}" level=info msg="Listening on :{port}"',
        ]
    if kind == "python":
        ts = _stamp(now, "%Y-%m-%d %H:%M:%S +0000")
        return [
            f"[{ts}] [1] [INFO] Starting gunicorn 23.0.0",
            f"[{ts}] [1] [INFO] Listening at: http://0.0.0.0:{port} (1)",
        ]
    if kind == "java":
        return [
            f"{iso} INFO  Starting {title}",
            f"{iso} INFO  Started {title}: listening on port {port}",
        ]
    if kind in ("shell", "tcp"):
        return []
    return [f"{iso} Starting {title}...", f"{iso} Server listening on http://0.0.0.0:{port}"]


def access_line(ref: str, path: str, status: int, size: int, now: float) -> str | None:
    info = lookup(ref)
    kind = info.kind if info else "app"
    if kind in ("nginx", "httpd"):
        ts = _stamp(now, "%d/%b/%Y:%H:%M:%S +0000")
        return f'172.18.0.1 - - [{ts}] "GET {path} HTTP/1.1" {status} {size} "-" "Wget" "-"'
    if kind in ("postgres", "redis", "mysql", "mongo", "tcp", "shell", "hello"):
        return None
    return None


def http_response(ref: str, path: str) -> tuple[int, bytes] | None:
    """What an HTTP GET on a listening port answers; None when the port does not speak HTTP."""
    info = lookup(ref)
    kind = info.kind if info else "app"
    title = (info.title if info else "") or repository(ref).rsplit("/", 1)[-1]
    path = path.split("?", 1)[0] or "/"
    if kind in ("postgres", "redis", "mysql", "tcp"):
        return None
    if kind == "mongo":
        return (
            200,
            b"It looks like you are trying to access MongoDB over HTTP on the native "
            b"driver port.\n",
        )
    if kind == "nginx" and title == "nginx":
        if path not in ("/", "/index.html"):
            return 404, _NOT_FOUND
        return 200, _NGINX_WELCOME
    if kind == "httpd":
        if path not in ("/", "/index.html"):
            return (
                404,
                b'<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n'
                b"<html><head>\n<title>404 Not Found</title>\n</head></html>\n",
            )
        return 200, b"<html><body><h1>It works!</h1></body></html>\n"
    if path in _HEALTH_PATHS:
        return 200, b'{"status":"ok"}\n'
    page = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<title>{title}</title>\n</head>\n<body>\n<div id="app"></div>\n</body>\n</html>\n'
    )
    return 200, page.encode()


_NOT_FOUND = (
    b"<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found"
    b"</h1></center>\r\n<hr><center>nginx/1.29.1</center>\r\n</body>\r\n</html>\r\n"
)


_NGINX_WELCOME = b"""<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>

<p>For online documentation and support please refer to
<a href="http://nginx.org/">nginx.org</a>.<br/>
Commercial support is available at
<a href="http://nginx.com/">nginx.com</a>.</p>

<p><em>Thank you for using nginx.</em></p>
</body>
</html>
"""
