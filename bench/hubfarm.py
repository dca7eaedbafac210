"""The subscriber farm of the built-in hub's benchmarks (bench/fanout
--subscribers, bench/everything): N WebSub subscribers served by one nginx
worker, their deliveries read back from its access log and checked.

Subscriber K is http://127.0.0.1:PORT/cb/K (SUB_PORTS loopback ports,
keep-alive) with the secret "secret-K". subscribe_all() subscribes them
all through a feedpubd hub. Standard library only; nginx (nginx-light)
must be installed.
"""

import asyncio
import collections
import hashlib
import hmac
import os
import re
import shutil
import subprocess
import time
import urllib.parse

import benchlib
from benchlib import BenchError, deadline

CLK_TCK = os.sysconf("SC_CLK_TCK")
SUB_PORTS = 4               # loopback ports the callbacks are spread over
SUB_CLIENTS = 32            # connections the subscribe requests go over

# The subscribers: one nginx worker. A verification GET is answered with
# the hub.challenge of its query (hex digits: no escapes), a POST with 204
# once its whole body is read (mirror_request_body reads it before the
# content phase; the static handler's 404/405 then becomes the 204). A
# request is logged as it ends, so the log's $msec of a POST is the time
# its body had arrived, and $request_length counts that body; its
# X-Feedpubd-Delivery id (one per subscriber and change, the same on a
# retry) is logged too, so a delivery that came twice shows.
FARM_CONF = """\
worker_processes 1;
worker_rlimit_nofile 32768;
daemon off;
pid %(dir)s/farm.pid;
error_log %(dir)s/farm-error.log;
events { worker_connections 16384; }
http {
    client_body_temp_path %(dir)s/farm-tmp;
    proxy_temp_path %(dir)s/farm-tmp;
    fastcgi_temp_path %(dir)s/farm-tmp;
    uwsgi_temp_path %(dir)s/farm-tmp;
    scgi_temp_path %(dir)s/farm-tmp;
    log_format sub '$msec $request_method $uri $status $content_length '
                   '$request_length $connection "$http_x_hub_signature" '
                   '"$http_content_type" "$http_x_feedpubd_delivery"';
    access_log %(dir)s/farm-access.log sub;
    keepalive_requests 1000000;
    keepalive_timeout 300s;
    client_body_buffer_size 1m;
    client_max_body_size 16m;
    map $args $challenge {
        "~(?:^|&)hub\\.challenge=(?<ch>[^&]*)" $ch;
        default "";
    }
    server {
%(listen)s
        location /cb/ {
            if ($request_method = GET) { return 200 $challenge; }
            mirror /sink;
            mirror_request_body on;
            log_not_found off;
            error_page 404 405 =204 @done;
        }
        location = /sink { internal; return 204; }
        location @done { return 204; }
    }
}
"""

Post = collections.namedtuple("Post",
                              "t sub status clen rlen conn sig ctype delivery")


class Farm:
    """N subscribers served by one nginx worker on SUB_PORTS loopback ports:
    subscriber i is http://127.0.0.1:PORT(i % P)/cb/i, its secret
    "secret-i". Deliveries are read back from nginx's access log."""

    def __init__(self, n, scratch):
        self.n = n
        os.makedirs(os.path.join(scratch, "farm-tmp"))
        os.chmod(scratch, 0o755)    # nginx's worker is another user
        self.ports = [benchlib.free_port() for _ in range(SUB_PORTS)]
        self.log = os.path.join(scratch, "farm-access.log")
        conf = os.path.join(scratch, "farm.conf")
        with open(conf, "w") as f:
            f.write(FARM_CONF % {"dir": scratch, "listen": "\n".join(
                "        listen 127.0.0.1:%d backlog=4096;" % p
                for p in self.ports)})
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        self.proc = subprocess.Popen([nginx, "-c", conf, "-p", scratch],
                                     stdin=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        try:
            for p in self.ports:
                benchlib.wait_port(p, deadline(10), self.proc, "nginx")
            self.workers = benchlib.children_of(self.proc.pid)
        except BenchError:
            self.stop()
            raise

    def url(self, i):
        return "http://127.0.0.1:%d/cb/%d" % (self.ports[i % SUB_PORTS], i)

    @staticmethod
    def secret(i):
        return "secret-%d" % i

    def cpu(self):
        return sum(benchlib.proc_stat_ticks(p) for p in self.workers) \
            / CLK_TCK

    def offset(self):
        return os.path.getsize(self.log)

    def posts(self, start, end=None):
        """The POSTs logged from byte start on (whole lines); and where
        the next read goes on."""
        with open(self.log, "rb") as f:
            f.seek(start)
            data = f.read() if end is None else f.read(end - start)
        data = data[:data.rfind(b"\n") + 1]
        out = []
        for line in data.splitlines():
            head, _, quoted = line.partition(b' "')
            f = head.split(b" ")
            if f[1] != b"POST":
                continue
            q = quoted.split(b'"')
            out.append(Post(float(f[0]), int(f[2].rsplit(b"/", 1)[1]),
                            int(f[3]), int(f[4]) if f[4] != b"-" else -1,
                            int(f[5]), int(f[6]), q[0].decode(),
                            q[2].decode(), q[4].decode()))
        return out, start + len(data)

    def wait_each(self, start, until, count=None):
        """Poll the log until every subscriber has a POST past start (or
        count POSTs are in); the POSTs so far."""
        got, pos, seen = [], start, set()
        while True:
            new, pos = self.posts(pos)
            got += new
            seen.update(p.sub for p in new)
            if (len(got) >= count) if count else len(seen) >= self.n:
                return got
            if time.perf_counter() > until:
                raise BenchError("%d of %d subscribers got a delivery"
                                 % (len(seen), self.n))
            time.sleep(0.002 if count else 0.02)

    def wait_last(self, start, size, until):
        """Poll the log until every subscriber's last POST past start
        had a body of size bytes."""
        last, pos = {}, start
        while True:
            new, pos = self.posts(pos)
            last.update((p.sub, p.clen) for p in new)
            done = sum(v == size for v in last.values())
            if done == self.n:
                return
            if time.perf_counter() > until:
                raise BenchError("%d of %d subscribers got the last change"
                                 % (done, self.n))
            time.sleep(0.02)

    def check(self, posts, body, once):
        """Every subscriber's last POST carries body (length, signature,
        Content-Type) and was answered 204, and no delivery id came twice;
        with once, it is its only one.
        Returns the number of connections the POSTs came over."""
        by = collections.defaultdict(list)
        for p in posts:
            by[p.sub].append(p)
        problems = ["no delivery to %d subscribers" % (self.n - len(by))] \
            if len(by) != self.n else []
        extra = sum(len(v) - 1 for v in by.values())
        if once and extra:
            problems.append("%d deliveries more than one per subscriber"
                            % extra)
        twice = sum(len(v) - len({p.delivery for p in v})
                    for v in by.values())
        if twice:
            problems.append("%d deliveries came again (same delivery id)"
                            % twice)
        bad = 0
        for i, v in by.items():
            p = v[-1]
            sig = "sha256=" + hmac.new(self.secret(i).encode(), body,
                                       hashlib.sha256).hexdigest()
            if (p.status != 204 or p.clen != len(body) or p.rlen < p.clen
                    or p.sig != sig
                    or not p.ctype.startswith("application/atom+xml")):
                bad += 1
        if bad:
            problems.append("%d last deliveries with a wrong length, "
                            "signature, type or status" % bad)
        if problems:
            raise BenchError("; ".join(problems))
        return len({p.conn for p in posts})

    def stop(self):
        benchlib.terminate(self.proc)


def subscribe_all(farm, port, topic):
    """POST a subscription (with its secret) for each subscriber over
    SUB_CLIENTS keep-alive connections; the answers' statuses."""
    todo = list(range(farm.n))
    statuses = collections.Counter()

    async def client():
        r, w = await asyncio.open_connection("127.0.0.1", port)
        try:
            while todo:
                i = todo.pop()
                form = urllib.parse.urlencode({
                    "hub.mode": "subscribe", "hub.topic": topic,
                    "hub.callback": farm.url(i),
                    "hub.secret": farm.secret(i)}).encode()
                w.write(b"POST /hub HTTP/1.1\r\nHost: bench\r\n"
                        b"Content-Type: application/x-www-form-"
                        b"urlencoded\r\nContent-Length: %d\r\n\r\n%s"
                        % (len(form), form))
                await w.drain()
                head = await r.readuntil(b"\r\n\r\n")
                m = re.search(rb"(?im)^content-length:\s*(\d+)", head)
                await r.readexactly(int(m.group(1)) if m else 0)
                statuses[head.split(b" ")[1].decode()] += 1
        finally:
            w.close()

    async def run():
        await asyncio.gather(*(client() for _ in range(SUB_CLIENTS)))
    asyncio.run(run())
    return dict(statuses)
