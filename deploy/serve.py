"""N replicas of the app on consecutive ports with nginx in front (the site in deploy/rnnplay.conf).

    python deploy/serve.py N PORT         # nginx on PORT, replicas on PORT+1 .. PORT+N; Ctrl-C stops all
    python deploy/serve.py --site N PORT  # print the site (nginx on every interface) for /etc/nginx/sites-available/

Each replica is `streamlit run app.py` with the Makefile's flags (bench.live.streamlit_server).
nginx runs as this user from a throwaway folder (its own nginx.conf, pid, logs and temp paths), so
no root and no /etc/nginx are needed; on a real server install the printed site instead and start
the replicas with systemd or similar. A replica is one Python process whose script runs share one
GIL, so more cores serve more people only through more replicas (about one per core).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.live import free_port, streamlit_server, wait_healthy  # noqa: E402

SITE = Path(__file__).with_name("rnnplay.conf")
ROUTE_COOKIE = "rnnplay_route"  # the cookie the site hashes on (see rnnplay.conf)


def site(listen: str, ports: list[int]) -> str:
    """deploy/rnnplay.conf for nginx listening on ``listen`` ("8500": every interface; "127.0.0.1:8500":
    this machine only) in front of replicas on ``ports`` of this machine."""
    servers = "\n".join(f"    server 127.0.0.1:{port};" for port in ports)
    return SITE.read_text().replace("@LISTEN@", listen).replace("@SERVERS@", servers)


def nginx_conf(folder: Path, site_path: Path) -> str:
    """A whole nginx.conf that keeps everything nginx writes in ``folder`` (runs without root)."""
    return f"""daemon off;
worker_processes auto;
pid {folder}/nginx.pid;
error_log stderr warn;
events {{ worker_connections 4096; }}
http {{
    log_format routes '$rnnplay_route $upstream_addr $status "$request"';  # read by routes_seen()
    access_log {folder}/access.log routes;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    include {site_path};
}}
"""


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)
    if found is None:
        raise RuntimeError("nginx is missing: run 'sudo apt-get install nginx-light' (or make test as root)")
    return found


def consecutive_free_ports(count: int) -> int:
    """The first of ``count`` consecutive free ports."""
    for _ in range(100):
        first = free_port()
        with contextlib.ExitStack() as stack:
            try:
                for port in range(first, first + count):
                    s = stack.enter_context(socket.socket())
                    s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return first
    raise RuntimeError(f"no {count} consecutive free ports")


@contextlib.contextmanager
def nginx(listen: int, ports: list[int], folder: Path):
    """nginx on ``listen`` in front of ``ports``, its files in ``folder``; yields its url once it answers."""
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o777)  # started as root, nginx's workers run as nobody and write temp files here
    site_path, conf_path = folder / "rnnplay.conf", folder / "nginx.conf"
    site_path.write_text(site(f"127.0.0.1:{listen}", ports))
    conf_path.write_text(nginx_conf(folder, site_path))
    log = folder / "nginx.out"
    with open(log, "w") as out:
        process = subprocess.Popen([nginx_binary(), "-p", str(folder), "-c", str(conf_path)], stdout=out, stderr=out)
    url = f"http://127.0.0.1:{listen}"
    try:
        wait_healthy(url, process, log, seconds=30)
        yield url, process
    finally:
        process.terminate()  # SIGTERM: nginx's fast shutdown
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@contextlib.contextmanager
def replicas_behind_nginx(count: int, folder: Path, port: int | None = None):
    """``count`` replicas on ports ``port``+1.. with nginx on ``port`` (default: free ones);
    yields (nginx url, replica processes)."""
    port = port or consecutive_free_ports(count + 1)
    ports = [port + 1 + i for i in range(count)]
    with contextlib.ExitStack() as stack:
        processes = [
            stack.enter_context(streamlit_server(folder / f"replica{p}.log", port=p))[1] for p in ports
        ]  # one after another: two cold starts at once on 2 cores take longer than in turn
        url, _ = stack.enter_context(nginx(port, ports, folder / "nginx"))
        yield url, processes


def routes_seen(folder: Path) -> dict[str, set[str]]:
    """From nginx's access log in ``folder``: route cookie -> the replica addresses it was sent to."""
    seen: dict[str, set[str]] = {}
    for line in (folder / "access.log").read_text().splitlines():
        route, upstream = line.split()[:2]
        seen.setdefault(route, set()).add(upstream)
    return seen


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("replicas", type=int)
    parser.add_argument("port", type=int, help="nginx listens here; replicas on the next ports")
    parser.add_argument("--site", action="store_true", help="print the nginx site and exit")
    args = parser.parse_args(argv)
    if args.site:
        print(site(str(args.port), [args.port + 1 + i for i in range(args.replicas)]), end="")  # for the class
        return
    with tempfile.TemporaryDirectory(prefix="rnnplay-serve-") as tmp:
        with replicas_behind_nginx(args.replicas, Path(tmp), args.port) as (url, _):
            print(f"serving {url} ({args.replicas} replicas on ports {args.port + 1}..{args.port + args.replicas})")
            with contextlib.suppress(KeyboardInterrupt):
                while True:
                    time.sleep(3600)


if __name__ == "__main__":
    main()
