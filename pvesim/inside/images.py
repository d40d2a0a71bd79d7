"""What the simulator knows about well-known images: the ports they listen on, their kind, size.

Ports are the images' real defaults (what `network_mode: host` exposes), not what a catalog
claims: vaultwarden listens on 80, whatever a compose file's comment says. Unknown images listen
on the container ports their `ports:` mappings target, else their `expose` list, else any
numeric `*PORT` environment value.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from .health import Healthcheck

MiB = 1024 * 1024


@dataclass(frozen=True)
class ImageInfo:
    kind: str  # how it logs and answers HTTP: nginx, httpd, postgres, redis, mysql, mongo, app...
    ports: tuple[int, ...]
    mem_mb: int = 80
    title: str = ""
    #: The image's own HEALTHCHECK: True for one with the Dockerfile defaults, or its settings
    #: (compose's `healthcheck:` overrides them field by field, see `health.py`).
    healthcheck: bool | Healthcheck = False
    #: Seconds between start and accepting connections.
    ready_after: float = 2.0
    #: Compressed size in MB (pull time and `docker images`).
    size_mb: int = 60

    @property
    def image_health(self) -> Healthcheck | None:
        if isinstance(self.healthcheck, Healthcheck):
            return self.healthcheck
        return Healthcheck() if self.healthcheck else None


_T = ImageInfo
KNOWN: dict[str, ImageInfo] = {
    "nginx": _T("nginx", (80,), 8, "nginx", size_mb=70, ready_after=0.5),
    "httpd": _T("httpd", (80,), 10, "Apache", size_mb=58, ready_after=0.5),
    "caddy": _T("app", (80, 443, 2019), 15, "Caddy", size_mb=20),
    "traefik": _T("go", (80, 8080), 40, "Traefik", size_mb=55),
    "postgres": _T("postgres", (5432,), 40, size_mb=150, ready_after=3),
    "tensorchord/pgvecto-rs": _T("postgres", (5432,), 60, size_mb=160, ready_after=3),
    "redis": _T("redis", (6379,), 6, size_mb=40, ready_after=0.5),
    "mariadb": _T("mysql", (3306,), 90, size_mb=110, ready_after=4),
    "mysql": _T("mysql", (3306,), 360, size_mb=180, ready_after=6),
    "linuxserver/mariadb": _T("mysql", (3306,), 90, size_mb=110, ready_after=4),
    "jc21/mariadb-aria": _T("mysql", (3306,), 80, size_mb=100, ready_after=4),
    "mongo": _T("mongo", (27017,), 150, size_mb=250, ready_after=3),
    "memcached": _T("tcp", (11211,), 4, size_mb=30, ready_after=0.5),
    "rabbitmq": _T("tcp", (5672, 15672), 120, size_mb=110, ready_after=8),
    "couchdb": _T("app", (5984,), 90, "CouchDB", size_mb=120),
    "influxdb": _T("go", (8086,), 60, "InfluxDB", size_mb=120),
    "clickhouse/clickhouse-server": _T("app", (8123, 9000), 300, "ClickHouse", size_mb=250),
    "opensearchproject/opensearch": _T(
        "java", (9200, 9600), 1100, "OpenSearch", size_mb=800, ready_after=20
    ),
    "adminer": _T("app", (8080,), 20, "Adminer", size_mb=40),
    "vaultwarden/server": _T("vaultwarden", (80,), 30, "Vaultwarden Web", True, size_mb=80),
    # louislam/uptime-kuma docker/dockerfile: `HEALTHCHECK --interval=60s --timeout=30s
    # --start-period=180s --retries=5 CMD extra/healthcheck`.
    "louislam/uptime-kuma": _T(
        "node",
        (3001,),
        110,
        "Uptime Kuma",
        Healthcheck(interval=60, timeout=30, retries=5, start_period=180),
        size_mb=180,
        ready_after=4,
    ),
    "grafana/grafana": _T("grafana", (3000,), 90, "Grafana", size_mb=170, ready_after=4),
    "prom/prometheus": _T("go", (9090,), 70, "Prometheus", size_mb=110),
    "portainer/portainer-ce": _T("go", (8000, 9000, 9443), 40, "Portainer", size_mb=100),
    "adguard/adguardhome": _T("go", (3000, 53), 40, "AdGuard Home", size_mb=30),
    "pihole/pihole": _T("app", (80, 53), 60, "Pi-hole", True, size_mb=40),
    "actualbudget/actual-server": _T("node", (5006,), 90, "Actual", True, size_mb=100),
    "b4bz/homer": _T("app", (8080,), 10, "Homer", size_mb=10),
    "binwiederhier/ntfy": _T("go", (80,), 20, "ntfy", size_mb=20),
    "caronc/apprise": _T("python", (8000,), 60, "Apprise API", size_mb=80),
    "codercom/code-server": _T("node", (8080,), 200, "code-server", size_mb=250),
    "dgtlmoon/changedetection.io": _T("python", (5000,), 120, "Change Detection", size_mb=200),
    "directus/directus": _T("node", (8055,), 200, "Directus", size_mb=200, ready_after=6),
    "dullage/flatnotes": _T("python", (8080,), 60, "flatnotes", size_mb=60),
    "excalidraw/excalidraw": _T("nginx", (80,), 10, "Excalidraw", size_mb=30),
    "filebrowser/filebrowser": _T("go", (80,), 15, "File Browser", True, size_mb=15),
    "fireflyiii/core": _T("app", (8080,), 150, "Firefly III", size_mb=300, ready_after=8),
    "frooodle/s-pdf": _T("java", (8080,), 400, "Stirling PDF", size_mb=500, ready_after=10),
    "ghost": _T("node", (2368,), 150, "Ghost", size_mb=200, ready_after=6),
    "gitea/gitea": _T("go", (3000, 22), 120, "Gitea: Git with a cup of tea", size_mb=110),
    "gitlab/gitlab-ce": _T(
        "app", (80, 443, 22), 3000, "GitLab", True, size_mb=1400, ready_after=60
    ),
    "gotify/server": _T("go", (80,), 15, "Gotify", True, size_mb=30),
    "healthchecks/healthchecks": _T("python", (8000,), 90, "Healthchecks.io", size_mb=80),
    "homeassistant/home-assistant": _T(
        "python", (8123,), 300, "Home Assistant", size_mb=700, ready_after=15
    ),
    "jellyfin/jellyfin": _T("app", (8096,), 250, "Jellyfin", True, size_mb=450, ready_after=8),
    "jenkins/jenkins": _T("java", (8080, 50000), 600, "Jenkins", size_mb=280, ready_after=20),
    "jupyter/scipy-notebook": _T("python", (8888,), 200, "Jupyter Server", size_mb=1300),
    "linuxserver/bazarr": _T("linuxserver", (6767,), 120, "Bazarr", size_mb=150),
    "linuxserver/prowlarr": _T("linuxserver", (9696,), 130, "Prowlarr", size_mb=90),
    "linuxserver/radarr": _T("linuxserver", (7878,), 160, "Radarr", size_mb=100),
    "linuxserver/readarr": _T("linuxserver", (8787,), 150, "Readarr", size_mb=100),
    "linuxserver/sonarr": _T("linuxserver", (8989,), 170, "Sonarr", size_mb=110),
    "linuxserver/lidarr": _T("linuxserver", (8686,), 150, "Lidarr", size_mb=100),
    "linuxserver/jackett": _T("linuxserver", (9117,), 120, "Jackett", size_mb=90),
    "linuxserver/nzbget": _T("linuxserver", (6789,), 40, "NZBGet", size_mb=60),
    "linuxserver/qbittorrent": _T("linuxserver", (8080,), 80, "qBittorrent", size_mb=90),
    "linuxserver/transmission": _T("linuxserver", (9091,), 30, "Transmission", size_mb=50),
    "linuxserver/bookstack": _T("linuxserver", (80,), 120, "BookStack", size_mb=120),
    "linuxserver/calibre-web": _T("linuxserver", (8083,), 120, "Calibre-Web", size_mb=250),
    "linuxserver/dokuwiki": _T("linuxserver", (80,), 40, "DokuWiki", size_mb=70),
    "linuxserver/freshrss": _T("linuxserver", (80,), 40, "FreshRSS", size_mb=50),
    "linuxserver/heimdall": _T("linuxserver", (80, 443), 40, "Heimdall", size_mb=60),
    "linuxserver/wireguard": _T("linuxserver", (), 10, size_mb=40),
    "lissy93/dashy": _T("node", (8080,), 120, "Dashy", True, size_mb=180),
    "louislam/dockge": _T("node", (5001,), 90, "Dockge", True, size_mb=150),
    "matomo": _T("app", (80,), 90, "Matomo", size_mb=200),
    "mattermost/mattermost-team-edition": _T(
        "go", (8065,), 300, "Mattermost", True, size_mb=400, ready_after=10
    ),
    "mattermost/focalboard": _T("go", (8000,), 60, "Focalboard", size_mb=60),
    "metabase/metabase": _T("java", (3000,), 700, "Metabase", True, size_mb=450, ready_after=25),
    "miniflux/miniflux": _T("go", (8080,), 25, "Miniflux", size_mb=20),
    "minio/minio": _T("go", (9000,), 120, "MinIO Console", True, size_mb=60),
    "n8nio/n8n": _T(
        "node", (5678,), 220, "n8n.io - Workflow Automation", size_mb=250, ready_after=6
    ),
    "netdata/netdata": _T("app", (19999,), 150, "Netdata Agent Console", True, size_mb=200),
    "nextcloud": _T("app", (80,), 150, "Nextcloud", size_mb=400, ready_after=6),
    "nocodb/nocodb": _T("node", (8080,), 180, "NocoDB", size_mb=150),
    "ollama/ollama": _T("go", (11434,), 100, "Ollama", size_mb=1700),
    "ghcr.io/open-webui/open-webui": _T(
        "python", (8080,), 500, "Open WebUI", True, size_mb=1800, ready_after=15
    ),
    "owncloud/server": _T("app", (8080,), 120, "ownCloud", True, size_mb=350),
    "photoprism/photoprism": _T("go", (2342,), 200, "PhotoPrism", size_mb=800),
    "plausible/analytics": _T("app", (8000,), 250, "Plausible Analytics", size_mb=150),
    "plexinc/pms-docker": _T("app", (32400,), 200, "Plex", True, size_mb=300),
    "quay.io/hedgedoc/hedgedoc": _T("node", (3000,), 130, "HedgeDoc", True, size_mb=200),
    "rocket.chat": _T("node", (3000,), 600, "Rocket.Chat", size_mb=500, ready_after=20),
    "roundcube/roundcubemail": _T("app", (80,), 40, "Roundcube Webmail", size_mb=150),
    "searxng/searxng": _T("python", (8080,), 120, "SearXNG", size_mb=60),
    "shlinkio/shlink": _T("app", (8080,), 90, "Shlink", size_mb=100),
    "sissbruecker/linkding": _T("python", (9090,), 90, "linkding", True, size_mb=120),
    "snipe/snipe-it": _T("app", (80,), 130, "Snipe-IT", size_mb=250),
    "syncthing/syncthing": _T("go", (8384, 22000), 50, "Syncthing", True, size_mb=40),
    "twin/gatus": _T("go", (8080,), 20, "Gatus", size_mb=20),
    "wordpress": _T("app", (80,), 100, "WordPress", size_mb=250, ready_after=3),
    "zadam/trilium": _T("node", (8080,), 150, "Trilium Notes", True, size_mb=200),
    "alexta69/metube": _T("python", (8081,), 80, "MeTube", size_mb=150),
    "jamesread/olivetin": _T("go", (1337,), 20, "OliveTin", size_mb=60),
    "stashapp/stash": _T("go", (9999,), 120, "Stash", size_mb=200),
    "fallenbagel/jellyseerr": _T("node", (5055,), 200, "Jellyseerr", size_mb=300),
    "ghcr.io/advplyr/audiobookshelf": _T("node", (80,), 120, "Audiobookshelf", size_mb=150),
    "ghcr.io/mealie-recipes/mealie": _T("python", (9000,), 200, "Mealie", size_mb=300),
    "ghcr.io/paperless-ngx/paperless-ngx": _T(
        "python", (8000,), 400, "Paperless-ngx", True, size_mb=700, ready_after=15
    ),
    "ghcr.io/requarks/wiki": _T("node", (3000,), 180, "Wiki.js", size_mb=250),
    "ghcr.io/umami-software/umami": _T("node", (3000,), 150, "Umami", size_mb=200),
    "ghcr.io/goauthentik/server": _T(
        "python", (9000, 9443), 500, "authentik", True, size_mb=700, ready_after=20
    ),
    "ghcr.io/immich-app/immich-server": _T(
        "node", (2283,), 400, "Immich", True, size_mb=600, ready_after=10
    ),
    "ghcr.io/danny-avila/librechat": _T("node", (3080,), 300, "LibreChat", size_mb=500),
    "jc21/nginx-proxy-manager": _T(
        "node", (80, 81, 443), 150, "Nginx Proxy Manager", True, size_mb=350
    ),
    "wallabag/wallabag": _T("app", (80,), 120, "wallabag", size_mb=250),
    "vectorim/element-web": _T("nginx", (80,), 15, "Element", size_mb=60),
    "kanboard/kanboard": _T("app", (80,), 30, "Kanboard", size_mb=60),
    "sysadminsmedia/homebox": _T("go", (7745,), 40, "Homebox", True, size_mb=40),
    "outlinewiki/outline": _T("node", (3000,), 250, "Outline", size_mb=400),
    "ghcr.io/home-assistant/home-assistant": _T(
        "python", (8123,), 300, "Home Assistant", size_mb=700, ready_after=15
    ),
    "amir20/dozzle": _T("go", (8080,), 20, "Dozzle", True, size_mb=20),
    "codeberg.org/forgejo/forgejo": _T("go", (3000, 22), 120, "Forgejo", size_mb=120),
    "freshrss/freshrss": _T("app", (80,), 40, "FreshRSS", True, size_mb=60),
    "grafana/grafana-oss": _T("grafana", (3000,), 90, "Grafana", size_mb=170, ready_after=4),
    "ghcr.io/gethomepage/homepage": _T("node", (3000,), 90, "Homepage", True, size_mb=80),
    "corentinth/it-tools": _T("nginx", (80,), 10, "IT Tools", size_mb=20),
    "joplin/server": _T("node", (22300,), 150, "Joplin Server", size_mb=200),
    "axllent/mailpit": _T("go", (8025, 1025), 20, "Mailpit", True, size_mb=15),
    "getmeili/meilisearch": _T("app", (7700,), 60, "Meilisearch", size_mb=60),
    "neosmemo/memos": _T("go", (5230,), 30, "Memos", size_mb=30),
    "eclipse-mosquitto": _T("tcp", (1883,), 5, size_mb=5),
    "deluan/navidrome": _T("go", (4533,), 60, "Navidrome", True, size_mb=50),
    "nodered/node-red": _T("node", (1880,), 90, "Node-RED", True, size_mb=200),
    "dpage/pgadmin4": _T("python", (80,), 200, "pgAdmin 4", size_mb=180, ready_after=6),
    "privatebin/nginx-fpm-alpine": _T("app", (8080,), 20, "PrivateBin", True, size_mb=30),
    "stirlingtools/stirling-pdf": _T(
        "java", (8080,), 400, "Stirling PDF", size_mb=500, ready_after=10
    ),
    # traefik/whoami app.go: main() calls http.ListenAndServe at once (no set-up, no
    # HEALTHCHECK in its Dockerfile): it answers as soon as nginx does.
    "traefik/whoami": _T("go", (80,), 5, "whoami", size_mb=4, ready_after=0.5),
    "hello-world": _T("hello", (), 1, size_mb=1),
    "alpine": _T("shell", (), 1, size_mb=4),
    "busybox": _T("shell", (), 1, size_mb=2),
}


def normalize(ref: str) -> str:
    """`nginx` -> `nginx:latest`, `docker.io/library/nginx:1` -> `nginx:1` (digests kept)."""
    name, tag = ref, "latest"
    if "@" in name:
        return name
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        name, tag = name.rsplit(":", 1)
    for prefix in ("docker.io/", "index.docker.io/", "registry-1.docker.io/"):
        if name.startswith(prefix):
            name = name[len(prefix) :]
    if name.startswith("library/"):
        name = name[len("library/") :]
    return f"{name}:{tag}"


def repository(ref: str) -> str:
    name = normalize(ref)
    return name.split("@", 1)[0].rsplit(":", 1)[0]


def lookup(ref: str) -> ImageInfo | None:
    repo = repository(ref)
    candidates = [repo]
    if repo.startswith(("lscr.io/", "ghcr.io/", "quay.io/")):
        candidates.append(repo.split("/", 1)[1])
    for cand in candidates:
        if cand in KNOWN:
            return KNOWN[cand]
    return None


def digest(text: str, n: int = 64) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:n]


def layers(ref: str) -> list[str]:
    info = lookup(ref)
    count = 2 + (info.size_mb // 60 if info else 3) % 7
    return [digest(f"{normalize(ref)}/{i}", 12) for i in range(count)]
