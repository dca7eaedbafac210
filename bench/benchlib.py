"""What the feedpubd benchmarks share (bench/cold-build, latency, fanout).

  - the synthetic newsroom: release(seed, i) and write_releases(), seeded so
    that every run and every machine sees the same bytes; retitled() for
    extra releases; write_config() for the feedpubd.conf of a run;
  - find_binary(): $FEEDPUBD, else a build folder of the repo;
  - process figures: run_child() (wall time and the child's ru_maxrss;
    run_child_cpu() its CPU times too),
    reset_own_peak_rss(), and /proc readers for a running daemon;
  - FeedWatch: when output/feed.atom and feed.rss are renamed into place;
  - Daemon: `feedpubd --config C --verbose`, up once it sends READY=1 on
    $NOTIFY_SOCKET, its stderr and "publish #N" lines collected;
  - deadlines (one budget for a whole run), BenchError, percentile(),
    verdict() and table() for the report.

Standard library only. Every wait is bounded.
"""

import collections
import math
import os
import random
import re
import select
import signal
import struct
import subprocess
import tempfile
import threading
import time

# ctypes and socket are imported where FeedWatch and Daemon need them, not
# here: bench/cold-build reads its child's ru_maxrss, which Linux never
# reports below the script's own RSS, and they would raise that floor.

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

BASE_URL = "https://news.example.org/"

# socket.SO_TIMESTAMPNS is not in every Python; 35 on Linux.
SO_TIMESTAMPNS = 35


class BenchError(Exception):
    """A bench that cannot go on: the daemon failed, a wait ran out."""


# ---- deadlines -------------------------------------------------------------

_BUDGET = [float("inf")]    # perf_counter() time the whole run must end by


def set_budget(seconds):
    """Every deadline() from now on ends at most `seconds` from now."""
    _BUDGET[0] = time.perf_counter() + seconds


def deadline(seconds):
    """min(now + seconds, the run's budget), as a perf_counter() time."""
    return min(time.perf_counter() + seconds, _BUDGET[0])


def on_sigterm(signum, frame):
    """SIGTERM handler: unwind, so that finally clauses clean up."""
    raise SystemExit(128 + signum)


# ---- the synthetic newsroom ------------------------------------------------

WORDS = (
    "kommunen nämnden invånare förslag beslut budget skola förskola "
    "äldreomsorg trafik cykelväg gata hamn bibliotek kultur fritid idrott "
    "badhus miljö avfall återvinning vatten avlopp bostäder detaljplan "
    "bygglov näringsliv företag arbete trygghet polis samverkan projekt "
    "utredning medborgare dialog öppet hus sommar vinter höst vår år "
    "kväll morgon satsning miljoner kronor ökning minskning ansvar "
    "förvaltning ordförande kommunalråd styrelse föreningar ungdomar "
    "barn familjer pendlare resenärer tåg buss färja skärgård kust "
    "strand skog park torg centrum stadsdel öster väster söder norr"
).split()

TAGS = (
    "trafik skola kultur miljö bostäder näringsliv trygghet fritid "
    "omsorg vatten avfall hamn budget demokrati idrott"
).split()

AUTHORS = (
    "Anna Berg", "Jonas Åberg", "Karin Lindqvist", "Mikael Öberg",
    "Sara Nyström", "Emma Sjöberg", "Pressavdelningen",
)

PLACES = (
    "Ågatan", "Östra hamnen", "Kvarnbacken", "Sjövallen", "Torget",
    "Norra skogen", "Älvkanten", "Strandängen", "Gamla tingshuset",
)

OFFSETS = ("+01:00", "+02:00", "Z", "+00:00", "-05:00", "+05:30", "", "")


def sentence(rng, lo=8, hi=18):
    words = [rng.choice(WORDS) for _ in range(rng.randint(lo, hi))]
    if rng.random() < 0.3:
        words.insert(rng.randrange(len(words)), rng.choice(PLACES))
    words[0] = words[0].capitalize()
    return " ".join(words) + "."


def paragraph(rng, n):
    return " ".join(sentence(rng) for _ in range(n))


def tag_pool(n):
    """n distinct tags: TAGS, then "TAG WORD" pairs (deterministic; some
    with diacritics, so their slugs fold: "miljö kvarter" -> miljo-kvarter).
    None or 0: TAGS."""
    if not n:
        return TAGS
    pool = list(TAGS[:n])
    for w in WORDS:
        for t in TAGS:
            if len(pool) >= n:
                return pool
            if w != t:
                pool.append("%s %s" % (t, w))
    if len(pool) < n:
        raise SystemExit("at most %d distinct tags" % len(pool))
    return pool


def release(seed, i, tags=None):
    """(relative path, text) of release i; depends only on seed and i (and
    on tags, the pool its tags come from: tag_pool(), else TAGS).

    ~2 KB of Swedish Markdown: front matter with title, a date in
    2008-2025 with or without a UTC offset, tags and authors; a year
    subfolder. The newest date it can give is 2025-12-28 19:45 (-05:00).
    """
    rng = random.Random("%d-%d" % (seed, i))
    year = rng.randint(2008, 2025)
    month = rng.randint(1, 12)
    day = rng.randint(1, 28)
    hour, minute = rng.randint(6, 19), rng.choice((0, 15, 30, 45))
    offset = rng.choice(OFFSETS)
    if offset:
        date = "%04d-%02d-%02dT%02d:%02d:00%s" % (
            year, month, day, hour, minute, offset)
    else:   # local time in the configured zone, DST rule of that day
        date = "%04d-%02d-%02d %02d:%02d" % (year, month, day, hour, minute)
    place = rng.choice(PLACES)
    title = "%s: %s vid %s" % (
        rng.choice(WORDS).capitalize(),
        " ".join(rng.choice(WORDS) for _ in range(4)), place)
    tags = rng.sample(tags or TAGS, rng.randint(1, 4))
    authors = rng.sample(AUTHORS, rng.randint(1, 2))

    body = [paragraph(rng, 4)]
    para = paragraph(rng, 4).split(" ")
    k = rng.randrange(len(para) - 2)
    para[k] = "**" + para[k]
    para[k + 1] = para[k + 1] + "**"
    body.append(" ".join(para))
    body.append("\n".join("- " + sentence(rng, 4, 9)
                          for _ in range(rng.randint(3, 5))))
    body.append(paragraph(rng, 3) + " Läs mer på [kommunens webbplats]"
                "(https://www.example.org/nyheter/%d)." % i)
    body.append("## Om Norrviks kommun\n\n" + paragraph(rng, 3))

    text = (
        "---\n"
        'title: "%s"\n'
        "date: %s\n"
        "author: [%s]\n"
        "tags: [%s]\n"
        "type: Pressmeddelande\n"
        "lang: sv\n"
        "---\n\n%s\n"
    ) % (title, date, ", ".join(authors), ", ".join(tags),
         "\n\n".join(body))
    name = "%04d-%02d-%02d %s %d.md" % (year, month, day, place, i)
    return os.path.join(str(year), name), text


def write_releases(folder, seed, lo, hi, tags=None):
    """Write releases lo..hi-1 of the corpus under folder; total bytes."""
    total = 0
    for i in range(lo, hi):
        rel, text = release(seed, i, tags)
        path = os.path.join(folder, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        data = text.encode("utf-8")
        with open(path, "wb") as f:
            f.write(data)
        total += len(data)
    return total


def retitled(seed, i, title, date=None, tags=None):
    """Release i's text with another title (and date)."""
    text = release(seed, i, tags)[1]
    text = re.sub(r'(?m)^title: ".*"$', 'title: "%s"' % title, text, 1)
    if date is not None:
        text = re.sub(r"(?m)^date: .*$", "date: " + date, text, 1)
    return text


def write_config(path, releases, output, state="state", max_entries=50,
                 settle_ms=None, title="Bench newsroom",
                 author="Norrviks kommun", pings=(), pages=None, feed_extra=""):
    """feedpubd.conf. settle_ms None: no [daemon] section (the defaults);
    pings: (name, kind, url) of each [ping "name"] section; pages: True
    or False for [pages] enabled, None: no [pages] section (on);
    feed_extra: lines appended to [feed] as they are."""
    with open(path, "w", encoding="utf-8") as f:
        f.write(
            "[feed]\n"
            "title = %s\n"
            "base_url = %s\n"
            "author = %s\n"
            "language = sv\n"
            "timezone = Europe/Stockholm\n"
            "max_entries = %d\n%s"
            "\n[paths]\n"
            "releases = %s\n"
            "output = %s\n"
            "state = %s\n"
            % (title, BASE_URL, author, max_entries, feed_extra, releases,
               output, state))
        if settle_ms is not None:
            f.write("\n[daemon]\nsettle_ms = %d\n" % settle_ms)
        if pages is not None:
            f.write("\n[pages]\nenabled = %s\n"
                    % ("true" if pages else "false"))
        for name, kind, url in pings:
            f.write('\n[ping "%s"]\nkind = %s\nurl = %s\n' % (name, kind, url))


# Every feed and document beyond the main feeds (docs/feeds.md): JSON
# Feed, the sub-feeds per tag, type and language, RFC 5005 archives.
FEED_EVERYTHING = ("json = true\ntag_feeds = true\ntype_feeds = true\n"
                   "lang_feeds = true\narchives = true\n")


# ---- the binary ------------------------------------------------------------

def find_binary(builds=("build-bench", "build")):
    """$FEEDPUBD if set, else the first REPO/<build>/feedpubd there is.

    build-bench is meant for a Release build: cmake -S . -B build-bench
    -DCMAKE_BUILD_TYPE=Release. Exits if there is no such binary.
    """
    env = os.environ.get("FEEDPUBD")
    if env:
        if os.access(env, os.X_OK):
            return os.path.abspath(env)
        raise SystemExit("no feedpubd binary at %s (build it, or set "
                         "FEEDPUBD)" % os.path.abspath(env))
    cands = [os.path.join(REPO, b, "feedpubd") for b in builds]
    for cand in cands:
        if os.access(cand, os.X_OK):
            return os.path.abspath(cand)
    raise SystemExit("no feedpubd binary ($FEEDPUBD, %s): build it, or set "
                     "FEEDPUBD" % ", ".join(os.path.relpath(c, REPO)
                                            for c in cands))


# ---- process figures -------------------------------------------------------

def run_child(argv, cwd):
    """Run argv; return (wall seconds, peak RSS KiB, exit code, stderr).

    Linux carries the spawning process's peak RSS into the child at exec,
    so a child's ru_maxrss is never below this script's own peak: measure
    that floor with /bin/true and report it next to the figures.
    """
    return run_child_cpu(argv, cwd)[:4]


def run_child_cpu(argv, cwd):
    """run_child(), and the child's user and system CPU seconds after."""
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=err)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        msg = err.read().decode("utf-8", "replace")
    return wall, ru.ru_maxrss, p.returncode, msg, ru.ru_utime, ru.ru_stime


def reset_own_peak_rss():
    """Lower the floor under every child's ru_maxrss (see run_child)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def proc_stat_ticks(pid):
    """utime + stime of pid, in clock ticks."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def free_port():
    """A loopback port free now (bind to 0, read it, close)."""
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, until, proc, what):
    """Until a connection to 127.0.0.1:port succeeds; BenchError when proc
    exits or at until (perf_counter)."""
    import socket
    while time.perf_counter() < until:
        if proc.poll() is not None:
            raise BenchError("%s exited %d" % (what, proc.returncode))
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.02)
    raise BenchError("%s does not listen on %d" % (what, port))


def children_of(pid):
    """The child pids of pid (nginx's workers), waiting 5 s at most."""
    until = deadline(5)
    while True:
        kids = []
        try:
            for task in os.listdir("/proc/%d/task" % pid):
                with open("/proc/%d/task/%s/children" % (pid, task)) as f:
                    kids += [int(x) for x in f.read().split()]
        except OSError as e:
            raise BenchError("cannot list the children of %d: %s"
                             % (pid, e))
        if kids or time.perf_counter() > until:
            return kids
        time.sleep(0.05)


def proc_status(pid):
    """/proc/PID/status as {key: value}."""
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            key, _, value = line.partition(":")
            out[key] = value.strip()
    return out


def kib(value):
    """The number of a /proc/PID/status "123 kB" value."""
    return int(value.split()[0])


def ctx_switches(pid):
    st = proc_status(pid)
    return (int(st["voluntary_ctxt_switches"])
            + int(st["nonvoluntary_ctxt_switches"]))


# nginx (nginx-light) serving a folder as it is: bench/serve's rival
# (its gzip_static takes a precompressed copy, as feedpubd makes) and
# bench/beyond's copy of the output. Keys: threads, dir, port, root.
NGINX_CONF = """\
worker_processes %(threads)d;
daemon off;
pid %(dir)s/nginx.pid;
error_log %(dir)s/nginx-error.log;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path %(dir)s/nginx-tmp;
    proxy_temp_path %(dir)s/nginx-tmp;
    fastcgi_temp_path %(dir)s/nginx-tmp;
    uwsgi_temp_path %(dir)s/nginx-tmp;
    scgi_temp_path %(dir)s/nginx-tmp;
    types { application/atom+xml atom; application/rss+xml rss; }
    charset utf-8;
    charset_types application/atom+xml application/rss+xml;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    gzip_static on;
    gzip_vary on;
    server {
        listen 127.0.0.1:%(port)d;
        root %(root)s;
        add_header Cache-Control "max-age=60";
    }
}
"""


# ---- wrk -------------------------------------------------------------------

WRK_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def wrk_figures(out):
    """What `wrk --latency` printed, as {rps, p50 and p99 (ms), requests,
    bad (non-2xx or 3xx answers), sockerr (its line, or "")}."""
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    lat = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+(?:us|ms|s))$", out,
                          re.M))
    errs = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: (.*)", out)
    done = re.search(r"(\d+) requests in", out)
    if rps is None or "50" not in lat or "99" not in lat or not done:
        raise BenchError("cannot read wrk's output:\n" + out)

    def ms(v):
        m = re.match(r"([\d.]+)(us|ms|s)$", v)
        return float(m.group(1)) * WRK_UNITS[m.group(2)]
    return {"rps": float(rps.group(1)), "p50": ms(lat["50"]),
            "p99": ms(lat["99"]), "requests": max(1, int(done.group(1))),
            "bad": int(errs.group(1)) if errs else 0,
            "sockerr": sock.group(1) if sock else ""}


# ---- watching the output folder --------------------------------------------

class FeedWatch:
    """Times at which folder/NAME was renamed into place, for each of names.

    inotify (IN_MOVED_TO) through ctypes when libc has it; otherwise
    os.stat(feed).st_ino is polled every 0.5 ms.
    """

    IN_MOVED_TO = 0x80
    IN_NONBLOCK = os.O_NONBLOCK
    IN_CLOEXEC = 0o2000000
    EVENT = struct.Struct("iIII")

    def __init__(self, folder, names=("feed.atom", "feed.rss")):
        import ctypes
        import ctypes.util
        self.folder = folder
        self.names = tuple(names)
        self.fd = -1
        self.times = {n: collections.deque() for n in self.names}
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6",
                               use_errno=True)
            init = libc.inotify_init1
            add = libc.inotify_add_watch
            add.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32)
            fd = init(self.IN_NONBLOCK | self.IN_CLOEXEC)
            if fd < 0:
                raise OSError(ctypes.get_errno(), "inotify_init1")
            if add(fd, os.fsencode(folder), self.IN_MOVED_TO) < 0:
                err = ctypes.get_errno()
                os.close(fd)
                raise OSError(err, "inotify_add_watch")
            self.fd = fd
            self.poll = select.poll()
            self.poll.register(fd, select.POLLIN)
            self.method = "inotify IN_MOVED_TO"
        except (OSError, AttributeError):
            self.method = "st_ino polled every 0.5 ms"
            self.inos = {n: self._ino(n) for n in self.names}

    def path(self, name):
        return os.path.join(self.folder, name)

    def _ino(self, name):
        try:
            return os.stat(self.path(name)).st_ino
        except OSError:
            return None

    def _read(self, timeout_ms):
        if not self.poll.poll(max(0, int(timeout_ms))):
            return
        now = time.perf_counter()
        try:
            buf = os.read(self.fd, 65536)
        except BlockingIOError:
            return
        off = 0
        while off + self.EVENT.size <= len(buf):
            _, _, _, n = self.EVENT.unpack_from(buf, off)
            off += self.EVENT.size
            name = os.fsdecode(buf[off:off + n].split(b"\0", 1)[0])
            off += n
            if name in self.times:
                self.times[name].append(now)

    def _poll_inos(self):
        now = time.perf_counter()
        for name in self.names:
            ino = self._ino(name)
            if ino is not None and ino != self.inos[name]:
                self.inos[name] = ino
                self.times[name].append(now)

    def wait(self, name, until):
        """perf_counter() time of the next replacement of name, or None
        once perf_counter() passes until."""
        q = self.times[name]
        while not q:
            left = until - time.perf_counter()
            if left <= 0:
                return None
            if self.fd >= 0:
                self._read(min(left, 0.2) * 1000.0 + 1)
            else:
                self._poll_inos()
                if not q:
                    time.sleep(0.0005)
        return q.popleft()

    def drain(self):
        """Forget every replacement so far."""
        if self.fd >= 0:
            self._read(0)
        else:
            self._poll_inos()
        for q in self.times.values():
            q.clear()

    def close(self):
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


# ---- the daemon ------------------------------------------------------------

PUBLISH_RE = re.compile(
    r"feedpubd: publish #(\d+): (\d+) entries, "
    r"feed\.atom (written|unchanged), feed\.rss (written|unchanged), "
    r"(\d+(?:\.\d+)?) ms(?: \(render (\d+(?:\.\d+)?) ms\))?$")

# Environment the daemon must not inherit from whoever runs the bench.
SCRUB_ENV = ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID",
             "JOURNAL_STREAM", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES",
             "INVOCATION_ID")

LIVE = []   # running Daemons: stop_all() on the way out, whatever happens


def _deathsig():
    """A preexec_fn by which the child dies with this script even if it is
    SIGKILLed (PR_SET_PDEATHSIG), or None without prctl."""
    import ctypes
    try:
        prctl = ctypes.CDLL(None).prctl
    except (OSError, AttributeError):
        return None
    return lambda: prctl(1, signal.SIGKILL)


class Daemon:
    """`feedpubd --config CONF --verbose` with its stderr and sd_notify
    messages collected, timestamped, by two threads.

    start_timeout bounds the wait for READY=1, timeout any other wait;
    both are also cut by the run's budget (set_budget). verbose=False
    leaves --verbose out: no "publish #N" lines then, but no debug line
    per HTTP request either (under load, those would be the bench). env:
    variables added to the daemon's environment (WATCHDOG_USEC).
    """

    def __init__(self, binary, conf, scratch, start_timeout, timeout,
                 verbose=True, env=None):
        import socket
        self.start_timeout, self.timeout = start_timeout, timeout
        self.cond = threading.Condition()
        self.lines = []         # (perf_counter, line)
        self.notes = []         # (perf_counter, message)
        self.closing = False
        self.sockpath = os.path.join(scratch, "notify.sock")
        if os.path.exists(self.sockpath):
            os.unlink(self.sockpath)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.sockpath)
        self.sock.settimeout(0.1)
        # The kernel's time of each message, not ours: on a loaded machine
        # this process may read them late, and in bunches.
        self.sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        extra, env = env or {}, {k: v for k, v in os.environ.items()
                                 if k not in SCRUB_ENV}
        env.update(extra)
        env["NOTIFY_SOCKET"] = self.sockpath
        self.t_start = time.perf_counter()
        self.proc = subprocess.Popen(
            [binary, "--config", conf] + (["--verbose"] if verbose else []),
            env=env,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, preexec_fn=_deathsig())
        LIVE.append(self)
        self.threads = [threading.Thread(target=self._read_stderr,
                                         daemon=True),
                        threading.Thread(target=self._read_notify,
                                         daemon=True)]
        for t in self.threads:
            t.start()

    @property
    def pid(self):
        return self.proc.pid

    def _read_stderr(self):
        # os.read on the fd, not the file object: closing a BufferedReader
        # another thread is reading from blocks on its lock.
        fd, rest = self.proc.stderr.fileno(), b""
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                return
            if not chunk:
                return
            now = time.perf_counter()
            *done, rest = (rest + chunk).split(b"\n")
            with self.cond:
                self.lines.extend((now, raw.decode("utf-8", "replace"))
                                  for raw in done)
                self.cond.notify_all()

    def _read_notify(self):
        # Always drained: a full datagram queue would block the daemon.
        import socket
        while not self.closing:
            try:
                msg, anc, _, _ = self.sock.recvmsg(4096,
                                                   socket.CMSG_SPACE(16))
            except socket.timeout:
                continue
            except OSError:
                return
            now = time.perf_counter()
            for level, kind, data in anc:
                if (level, kind) == (socket.SOL_SOCKET, SO_TIMESTAMPNS) \
                        and len(data) >= 16:
                    sec, nsec = struct.unpack("qq", data[:16])
                    now -= max(0.0, time.time() - (sec + nsec / 1e9))
            with self.cond:
                self.notes.append((now, msg.decode("utf-8", "replace")))
                self.cond.notify_all()

    def _wait(self, pred, timeout, what):
        until = deadline(timeout)
        with self.cond:
            while True:
                got = pred()
                if got:
                    return got
                if self.proc.poll() is not None:
                    self.fail("exited with %d while waiting for %s"
                              % (self.proc.returncode, what))
                left = until - time.perf_counter()
                if left <= 0:
                    self.fail("no %s within %.0f s" % (what, timeout))
                self.cond.wait(min(left, 0.05))

    def fail(self, why):
        with self.cond:
            tail = "\n".join(line for _, line in self.lines[-15:])
        raise BenchError("feedpubd %s\nlast stderr lines:\n%s" % (why, tail))

    def wait_ready(self):
        """Seconds from spawn to READY=1."""
        def ready():
            for t, msg in self.notes:
                if "READY=1" in msg.split("\n"):
                    return t
            return None
        return (self._wait(ready, self.start_timeout, "READY=1")
                - self.t_start)

    def publishes(self):
        """[(perf_counter, number, entries, atom, rss, ms, render ms)] so
        far, from the "publish #N" lines; render None if not given."""
        with self.cond:
            lines = list(self.lines)
        out = []
        for t, line in lines:
            m = PUBLISH_RE.search(line)
            if m:
                out.append((t, int(m.group(1)), int(m.group(2)),
                            m.group(3), m.group(4), float(m.group(5)),
                            float(m.group(6)) if m.group(6) else None))
        return out

    def wait_publishes(self, count):
        def enough():
            return len(self.publishes()) >= count
        self._wait(enough, self.timeout, "publish #%d" % count)

    def noise(self):
        """Warnings and errors in the daemon's stderr."""
        with self.cond:
            return [line for _, line in self.lines
                    if re.match(r"feedpubd: (error|warning|critical)", line)]

    def stop(self):
        """SIGTERM (SIGKILL after 10 s); the exit code."""
        if self in LIVE:
            LIVE.remove(self)
        terminate(self.proc)
        self.closing = True
        for t in self.threads:
            t.join(2.0)
        self.sock.close()
        if not self.threads[0].is_alive():  # else a child holds the pipe
            self.proc.stderr.close()
        try:
            os.unlink(self.sockpath)
        except OSError:
            pass
        return self.proc.returncode


def terminate(proc, timeout=10):
    """SIGTERM to proc if it runs, SIGKILL after timeout s; waited for."""
    if proc.poll() is None:
        proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def stop_all():
    """Stop every daemon still running."""
    for d in list(LIVE):
        d.stop()


# ---- report ----------------------------------------------------------------

def percentile(values, p):
    """Nearest-rank percentile (p99 of 50 samples is their maximum)."""
    s = sorted(values)
    return s[max(0, math.ceil(p / 100.0 * len(s)) - 1)]


def verdict(checks):
    """"met", or "MISSED: " and what missed, of (what, ok) pairs."""
    missed = [what for what, ok in checks if not ok]
    return "MISSED: " + ", ".join(missed) if missed else "met"


def table(head, rows, left=1):
    """Print columns; the first `left` of them left-aligned, the rest
    right-aligned."""
    widths = [max(len(x) for x in col) for col in zip(head, *rows)]
    for row in [head] + rows:
        print("  ".join(x.ljust(w) if i < left else x.rjust(w)
                        for i, (x, w) in enumerate(zip(row, widths))))
