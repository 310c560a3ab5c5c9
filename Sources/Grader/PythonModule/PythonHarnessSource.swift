/// The grader's own Python harness, `harness.py`: the program every item of a Python submission
/// runs under. The grader writes it read-only into the sandbox (`/sbx/harness/harness.py`) and
/// starts it as `python3 -I -S -B /sbx/harness/harness.py <run directory>`; the student's files
/// never replace it.
///
/// ```
/// main     reads <run>/config.json and every input set (np.load, allow_pickle=False), imports
///          NumPy once, forks one worker per item (at most `parallel` at a time), stops a worker
///          at its wall-clock limit, checks each answer (a float64 .npy, bounded by the item's
///          shape) and hands it to the sealer; it never runs the student's code
/// sealer   forked first: the only reader of the run's nonce (standard input) and the only
///          holder of the result channel (standard output); each record carries
///          HMAC-SHA256(nonce, record)                                  (`PythonResultChannel`)
/// worker   forked from main: its own process group and resource limits and, when the grader is
///          root, an unused uid of its own; makes its folder <work>/<n> (0700, its `TMPDIR`),
///          imports the student's module behind an import guard and answers every input set in
///          order on descriptor 3; the folder is removed when the item ends
/// ```
/// It runs on Python 3.8 and later, with the standard library and NumPy only.
enum PythonHarnessSource {
  static let fileName = "harness.py"

  static let text: String = #"""
"""GradientGrader's harness for Python submissions: runs a student's functions, one process per
item, on the input sets of one run, and reports every answer on standard output.

The grader writes this file read-only into the sandbox and starts it as
`python3 -I -S -B harness.py <run directory>`; the student's code never replaces it.

    main     reads <run>/config.json and the input sets (np.load, allow_pickle=False), imports
             NumPy once, forks one worker per item (at most `parallel` at a time), stops a worker
             at its wall-clock limit, checks each answer it sends and hands it to the sealer.
             It never runs the student's code.
    sealer   forked first, before anything is read: the only process that reads the run's nonce
             (standard input) and holds the result channel (standard output); it writes each
             record with HMAC-SHA256(nonce, record).
    worker   forked from main for one item: its own process group, resource limits and, when the
             grader is root, an unused uid of its own; it makes its folder <work_dir>/<n> (0700,
             its TMPDIR), imports the student's module and answers every input set in order on its
             reply pipe (descriptor 3). Its output (print, errors) goes to a pipe main reads; only
             its last bytes are kept, to explain a crash. Its folder is removed when it ends.

Records on standard output, in order (the grader verifies the HMAC of each):

    grading-python 1 <item> <set> <kind> <length> <hmac hex>\\n<body>\\n
    kind  value    body: a .npy file (<f8, C order) of the item's answer at the set
          missing  body: why the item is not answered ("returned None", …)
          error    body: what went wrong, with the student's file and line
          ended    set -1, body: "exited <status>" | "signaled <n>" | "timeout" | "failed <why>",
                   a newline, and the last bytes of the item's output
          done     item "-", set -1: every item was run
"""
import os
import sys


def _blank_fd(fd):
    """Makes `fd` the read end of a pipe whose write end is closed (end of file at once)."""
    r, w = os.pipe()
    os.close(w)
    if r != fd:
        os.dup2(r, fd)
        os.close(r)


def _not_dumpable():
    """prctl(PR_SET_DUMPABLE, 0): no process of the same uid may read this one's memory or
    descriptors through /proc or ptrace."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)
    except Exception:
        pass


def _read_exactly(fd, n):
    data = b""
    while len(data) < n:
        chunk = os.read(fd, n - len(data))
        if not chunk:
            break
        data += chunk
    return data


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


# MARK: - sealer

def sealer(source):
    """Reads records from main, seals them with the nonce and writes them to standard output."""
    _not_dumpable()
    import hashlib
    import hmac
    line = _read_exactly(0, 65)
    _blank_fd(0)
    try:
        nonce = bytes.fromhex(line[:64].decode("ascii"))
    except ValueError:
        nonce = b""
    if len(nonce) != 32 or line[64:] != b"\n":
        sys.stderr.write("grading harness: no nonce on standard input\n")
        os._exit(70)
    pending = bytearray()
    while True:
        chunk = os.read(source, 1 << 16)
        if not chunk:
            break
        pending += chunk
        while True:
            end = pending.find(b"\n")
            if end < 0:
                break
            item, set_index, kind, length = bytes(pending[:end]).split(b" ")
            size = int(length)
            if len(pending) < end + 1 + size:
                break
            body = bytes(pending[end + 1:end + 1 + size])
            del pending[:end + 1 + size]
            message = b"\0".join([b"grading-python 1", item, set_index, kind, body])
            mac = hmac.new(nonce, message, hashlib.sha256).hexdigest().encode("ascii")
            header = b" ".join([b"grading-python 1", item, set_index, kind, length, mac])
            _write_all(1, header + b"\n" + body + b"\n")
    os._exit(0)


# MARK: - main

class Run:
    def __init__(self, directory, config):
        self.directory = directory
        self.config = config
        self.items = config["items"]
        self.sets = int(config["sets"])
        self.limits = config["limits"]
        self.seal = None

    def send(self, item, set_index, kind, body):
        if isinstance(body, str):
            body = body.encode("utf-8", "replace")
        header = ("%s %d %s %d\n" % (item, set_index, kind, len(body))).encode("ascii")
        _write_all(self.seal, header + body)


def main():
    directory = sys.argv[1]
    seal_r, seal_w = os.pipe()
    sealer_pid = os.fork()
    if sealer_pid == 0:
        try:
            os.close(seal_w)
            sealer(seal_r)
        finally:
            os._exit(70)
    os.close(seal_r)
    _blank_fd(0)
    os.dup2(2, 1)
    _not_dumpable()

    import faulthandler, inspect, json, re, resource, selectors, time, traceback  # noqa: F401 (shared by the workers)
    with open(os.path.join(directory, "config.json"), "rb") as f:
        config = json.loads(f.read().decode("utf-8"))
    run = Run(directory, config)
    run.seal = seal_w
    sys.path.extend(config["package_paths"])
    import numpy
    inputs = [load_set(run, numpy, k) for k in range(run.sets)]
    supervise(run, inputs, sealer_pid)
    for item in run.items:
        sweep(run, Worker(0, item, 0, None, None, 0))
    run.send("-", -1, "done", b"")
    os.close(seal_w)
    try:
        os.waitpid(sealer_pid, 0)
    except ChildProcessError:
        pass
    os._exit(0)


def load_set(run, np, k):
    """Input set k as the student's functions receive it: arrays, and NumPy scalars for rank 0."""
    values = {}
    for declared in run.config["inputs"]:
        name = declared["name"]
        path = os.path.join(run.directory, "inputs", str(k), name + ".npy")
        array = np.load(path, allow_pickle=False)
        expected = np.dtype("<i8") if declared["integer"] else np.dtype("<f8")
        if array.dtype != expected or array.ndim != int(declared["rank"]):
            raise ValueError("input %s of set %d is %s of rank %d" % (name, k, array.dtype, array.ndim))
        values[name] = array[()] if array.ndim == 0 else array
    return values


class Worker:
    def __init__(self, index, item, pid, reply, output, deadline):
        self.index = index
        self.item = item
        self.pid = pid
        self.reply = reply
        self.output = output
        self.deadline = deadline
        self.pending = bytearray()
        self.next_set = 0
        self.tail = bytearray()
        self.status = None
        self.timed_out = False
        self.refused = None


def supervise(run, inputs, sealer_pid):
    import selectors
    import time
    selector = selectors.DefaultSelector()
    parallel = max(1, int(run.config["parallel"]))
    queue = list(range(len(run.items)))
    active = {}
    wall = float(run.limits["wall_seconds"])
    while queue or active:
        while queue and len(active) < parallel:
            index = queue.pop(0)
            worker = start(run, inputs, index, selector, time.monotonic() + wall)
            if worker is not None:
                active[worker.pid] = worker
        for key, _ in selector.select(timeout=0.02):
            worker, stream = key.data
            if stream == "reply":
                read_reply(run, worker, selector)
            else:
                read_output(worker, selector)
        now = time.monotonic()
        for worker in list(active.values()):
            if worker.status is None and now >= worker.deadline:
                worker.timed_out = True
                sweep(run, worker)
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            if pid == sealer_pid:
                sys.stderr.write("grading harness: the sealer stopped (status %d)\n" % status)
                os._exit(70)
            worker = active.get(pid)
            if worker is not None:
                worker.status = status
        for pid, worker in list(active.items()):
            if worker.status is not None:
                finish(run, worker, selector)
                del active[pid]


def start(run, inputs, index, selector, deadline):
    item = run.items[index]
    reply_r, reply_w = os.pipe()
    output_r, output_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        status = 70
        try:
            worker_main(run, inputs, index, item, reply_w, output_w)
            status = 0
        except BaseException:
            pass
        os._exit(status)
    os.close(reply_w)
    os.close(output_w)
    os.set_blocking(reply_r, False)
    os.set_blocking(output_r, False)
    worker = Worker(index, item, pid, reply_r, output_r, deadline)
    import selectors
    selector.register(reply_r, selectors.EVENT_READ, (worker, "reply"))
    selector.register(output_r, selectors.EVENT_READ, (worker, "output"))
    return worker


def read_output(worker, selector):
    while worker.output is not None:
        try:
            chunk = os.read(worker.output, 1 << 16)
        except BlockingIOError:
            return
        if not chunk:
            selector.unregister(worker.output)
            os.close(worker.output)
            worker.output = None
            return
        worker.tail += chunk
        if len(worker.tail) > 4096:
            del worker.tail[:len(worker.tail) - 2048]


def read_reply(run, worker, selector):
    while worker.reply is not None:
        try:
            chunk = os.read(worker.reply, 1 << 16)
        except BlockingIOError:
            return
        if not chunk:
            close_reply(worker, selector)
            return
        if worker.refused is not None:
            continue
        worker.pending += chunk
        parse_frames(run, worker)
        if worker.refused is not None:
            sweep(run, worker)


def close_reply(worker, selector):
    if worker.reply is not None:
        selector.unregister(worker.reply)
        os.close(worker.reply)
        worker.reply = None


LONGEST_TEXT = 8192


def parse_frames(run, worker):
    """Takes every whole frame `<kind> <set> <length>\\n<body>` from the worker's pending bytes."""
    item = worker.item
    while worker.refused is None:
        end = worker.pending.find(b"\n", 0, 80)
        if end < 0:
            if len(worker.pending) >= 80:
                worker.refused = "sent a reply the harness cannot read (not a frame header)"
            return
        try:
            kind, set_text, length_text = bytes(worker.pending[:end]).decode("ascii").split(" ")
            set_index, length = int(set_text), int(length_text)
        except (ValueError, UnicodeDecodeError):
            worker.refused = "sent a reply the harness cannot read (not a frame header)"
            return
        limit = 256 + 8 * int(item["max_entries"]) if kind == "value" else LONGEST_TEXT
        if kind not in ("value", "missing", "error") or not 0 <= length <= limit:
            worker.refused = "sent a reply the harness cannot read (kind %r, %d bytes)" % (kind[:20], length)
            return
        if set_index != worker.next_set or set_index >= run.sets:
            worker.refused = "sent an answer for input set %d while set %d was expected" % (set_index + 1, worker.next_set + 1)
            return
        if len(worker.pending) < end + 1 + length:
            return
        body = bytes(worker.pending[end + 1:end + 1 + length])
        del worker.pending[:end + 1 + length]
        if kind == "value":
            problem = npy_problem(body, int(item["max_entries"]))
            if problem is not None:
                worker.refused = "sent an answer that is not a float64 array: " + problem
                return
        run.send(item["id"], set_index, kind, body)
        worker.next_set += 1


def npy_problem(body, max_entries):
    """None when `body` is a version 1.0 .npy file of '<f8' entries in C order whose shape has at
    most `max_entries` entries and whose data has exactly their bytes; else what is wrong."""
    import re
    if len(body) < 10 or body[:8] != b"\x93NUMPY\x01\x00":
        return "no .npy header"
    length = body[8] | (body[9] << 8)
    if 10 + length > len(body):
        return "a truncated header"
    header = body[10:10 + length].decode("latin-1")
    match = re.fullmatch(r"\{'descr': '<f8', 'fortran_order': False, 'shape': \(((?:\d{1,19}, )*\d{0,19}),?\), \} *\n", header)
    if match is None:
        return "an unexpected header"
    dims = [int(d) for d in match.group(1).replace(" ", "").split(",") if d]
    if len(dims) > 32:
        return "more than 32 dimensions"
    entries = 1
    for d in dims:
        entries *= d
    if entries > max_entries:
        return "%d entries, more than the %d the harness accepts for this item" % (entries, max_entries)
    if len(body) != 10 + length + 8 * entries:
        return "%d bytes of data for %d entries" % (len(body) - 10 - length, entries)
    return None


def work_folder(run, index):
    """The item's own writable folder (its TMPDIR)."""
    return os.path.join(run.config["work_dir"], str(index))


def remove_tree(path):
    """Removes `path` and everything in it, giving back first any folder the item made unreadable."""
    import shutil
    for root, folders, _ in os.walk(path):
        for folder in folders:
            try:
                os.chmod(os.path.join(root, folder), 0o700)
            except OSError:
                pass
    shutil.rmtree(path, ignore_errors=True)


def sweep(run, worker, remove=None):
    """Kills the worker and every process it started: every process of its uid when it has one
    (a helper that takes the uid and signals -1), else its process group; then removes the folder
    `remove`, as the item's uid (its files are the uid's)."""
    uid = worker.item.get("uid")
    if uid is None:
        if worker.pid > 0:
            try:
                os.killpg(worker.pid, 9)
            except OSError:
                pass
        if remove is not None:
            remove_tree(remove)
        return
    helper = os.fork()
    if helper == 0:
        try:
            os.closerange(3, 1 << 16)
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            for _ in range(1000):
                os.kill(-1, 9)
            if remove is not None:
                remove_tree(remove)
        except BaseException:
            pass
        os._exit(0)
    os.waitpid(helper, 0)


def finish(run, worker, selector):
    """Drains what the worker sent, kills what it left behind, and records how it ended."""
    read_reply(run, worker, selector)
    read_output(worker, selector)
    sweep(run, worker, remove=work_folder(run, worker.index))
    close_reply(worker, selector)
    if worker.output is not None:
        selector.unregister(worker.output)
        os.close(worker.output)
        worker.output = None
    status = worker.status
    if worker.refused is not None:
        ending = "failed " + worker.refused
    elif worker.timed_out:
        ending = "timeout"
    elif os.WIFSIGNALED(status):
        ending = "signaled %d" % os.WTERMSIG(status)
    else:
        ending = "exited %d" % os.WEXITSTATUS(status)
    tail = bytes(worker.tail[-2048:]).decode("utf-8", "replace")
    run.send(worker.item["id"], -1, "ended", ending + "\n" + tail)


# MARK: - worker

def worker_main(run, inputs, index, item, reply, output):
    """The item's process: descriptors, limits, uid and its folder first, then the student's
    module."""
    os.setpgid(0, 0)
    os.dup2(output, 1)
    os.dup2(output, 2)
    _blank_fd(0)
    if reply != 3:
        os.dup2(reply, 3)
    os.closerange(4, 1 << 16)
    import resource
    limits = run.limits
    cpu = max(1, int(limits["cpu_seconds"]))
    for name, soft, hard in [
        ("RLIMIT_AS", int(limits["memory_bytes"]), None),
        ("RLIMIT_CPU", cpu, cpu + 1),
        ("RLIMIT_FSIZE", int(limits["file_bytes"]), None),
        ("RLIMIT_NOFILE", 256, None),
        ("RLIMIT_CORE", 0, None),
        ("RLIMIT_NPROC", int(limits["processes"]), None),
    ]:
        resource.setrlimit(getattr(resource, name), (soft, soft if hard is None else hard))
    uid = item.get("uid")
    if uid is not None:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
        if os.getresuid() != (uid, uid, uid):
            raise SystemExit(70)
    work = work_folder(run, index)
    os.mkdir(work, 0o700)
    os.environ["TMPDIR"] = work
    os.environ["GRADING_WORKDIR"] = work
    config = run.config
    student = config["student_dir"]
    os.chdir(student)
    import faulthandler
    faulthandler.enable(file=sys.stderr)
    channel = Channel(3)
    sys.path.append(student)
    allowed = set(getattr(sys, "stdlib_module_names", ())) | set(config["stdlib_names"])
    allowed |= set(config["allowed_packages"]) | set(config["student_modules"])
    allowed |= {name.partition(".")[0] for name in list(sys.modules)}
    sys.meta_path.insert(0, ImportGuard(allowed, config["allowed_packages"], config["stdlib_paths"], config["site_paths"]))
    import numpy as np
    tools = Tools(np, student, config)
    try:
        module = __import__(config["module"])
    except BaseException as error:
        why = config["module"] + ".py could not be imported: " + tools.describe(error, importing=True)
        for k in range(run.sets):
            channel.send("error", k, why)
        finish_worker()
    for k in range(run.sets):
        kind, body = tools.answer(module, item, inputs[k])
        channel.send(kind, k, body)
    finish_worker()


def finish_worker():
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:
        pass
    os._exit(0)


class Channel:
    def __init__(self, fd):
        self.fd = fd

    def send(self, kind, set_index, body):
        if isinstance(body, str):
            body = body.encode("utf-8", "replace")[:LONGEST_TEXT]
        _write_all(self.fd, ("%s %d %d\n" % (kind, set_index, len(body))).encode("ascii") + body)


class ImportGuard:
    """A finder ahead of the others: a top-level module that is neither in the standard library
    (by name, or found in its directories outside the site directories), nor an allowed package,
    nor one of the student's own files cannot be imported."""

    def __init__(self, allowed, packages, stdlib_paths, site_paths):
        self.allowed = allowed
        self.packages = packages
        self.stdlib = tuple(p.rstrip("/") + "/" for p in stdlib_paths)
        self.sites = tuple(p.rstrip("/") + "/" for p in site_paths)

    def find_spec(self, fullname, path=None, target=None):
        top = fullname.partition(".")[0]
        if top in self.allowed:
            return None
        if fullname == top:
            import importlib.machinery
            spec = importlib.machinery.PathFinder.find_spec(fullname)
            origin = (getattr(spec, "origin", None) or "") if spec is not None else ""
            if origin.startswith(self.stdlib) and not origin.startswith(self.sites):
                self.allowed.add(top)
                return spec
        names = ["the Python standard library"] + list(self.packages)
        allowed = ", ".join(names[:-1]) + " and " + names[-1]
        raise ModuleNotFoundError(
            "import of '%s' is not allowed: a submission may use %s only (the course's rubric "
            "names any other package it allows)" % (top, allowed), name=fullname)


class Tools:
    """What the worker does around the student's functions: calling them, describing what they
    raised, and turning what they returned into a .npy file."""

    def __init__(self, np, student, config):
        self.np = np
        self.asarray = np.asarray
        self.ascontiguousarray = np.ascontiguousarray
        self.float64 = np.dtype("<f8")
        self.student = student.rstrip("/") + "/"
        self.module = config["module"]
        self.input_names = [declared["name"] for declared in config["inputs"]]

    def answer(self, module, item, inputs):
        """(kind, body) of the item at one input set."""
        name = item["id"]
        try:
            function = module.__dict__.get(name)
            if function is None:
                return "missing", "is not defined in %s.py" % self.module
            if not callable(function):
                return "error", "%s in %s.py is not a function" % (name, self.module)
            arguments = self.arguments(function, name, inputs)
            if isinstance(arguments, str):
                return "error", arguments
            positional, keywords = arguments
            value = function(*positional, **keywords)
        except NotImplementedError:
            return "missing", "raises NotImplementedError"
        except BaseException as error:
            return "error", self.describe(error)
        if value is None:
            return "missing", "returned None"
        try:
            return self.encode(value, name, int(item["max_entries"]))
        except BaseException as error:
            return "error", "returned a value that cannot be read as an array: " + self.describe(error)

    def arguments(self, function, name, inputs):
        """The inputs the function asks for, by parameter name: ([positional], {keywords}), or a
        sentence saying why it cannot be called."""
        import inspect
        try:
            parameters = list(inspect.signature(function).parameters.values())
        except (TypeError, ValueError):
            return [], dict(inputs)
        positional, keywords = [], {}
        for p in parameters:
            if p.kind == p.VAR_KEYWORD:
                for key, value in inputs.items():
                    if key not in keywords and all(key != q.name for q in parameters):
                        keywords[key] = value
            elif p.kind == p.VAR_POSITIONAL:
                continue
            elif p.name in inputs:
                if p.kind == p.POSITIONAL_ONLY:
                    positional.append(inputs[p.name])
                else:
                    keywords[p.name] = inputs[p.name]
            elif p.default is p.empty:
                return ("%s takes a parameter '%s', which is not an input of the assignment (inputs: %s)"
                        % (name, p.name, ", ".join(self.input_names)))
        return positional, keywords

    def encode(self, value, name, max_entries):
        np = self.np
        try:
            array = self.asarray(value)
        except ValueError as error:
            text = str(error)
            if "inhomogeneous" in text or "sequence" in text:
                return "error", "returned a ragged list (its rows differ in length), which is not an array"
            raise
        kind = array.dtype.kind
        if kind == "O":
            return "error", "returned an array of Python objects (dtype object); return numbers (a float array)"
        if kind == "c":
            return "error", "returned complex numbers (dtype %s); the item is real" % array.dtype
        if kind not in "fiub":
            return "error", "returned an array of dtype %s, which holds no numbers" % array.dtype
        if array.ndim > 32:
            return "error", "returned an array of %d dimensions" % array.ndim
        if array.size > max_entries:
            return "error", ("returned an array of shape %s (%d entries), far more than the item has"
                             % (self.shape_text(array.shape), array.size))
        shape = array.shape     # ascontiguousarray makes a 0-d array 1-d
        array = self.ascontiguousarray(array, dtype=self.float64)
        dims = "(%s)" % (", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else ""))
        header = "{'descr': '<f8', 'fortran_order': False, 'shape': %s, }" % dims
        header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
        return "value", b"\x93NUMPY\x01\x00" + bytes([len(header) & 0xFF, len(header) >> 8]) + header.encode("latin-1") + array.tobytes()

    @staticmethod
    def shape_text(shape):
        return "×".join(str(d) for d in shape) if shape else "scalar"

    def describe(self, error, importing=False):
        """`raised ValueError: … (solution.py, line 12, in d_out: `z = A @ x`)`, with the student's
        frames only (the innermost three), never the harness's."""
        import traceback
        kind = type(error).__name__
        try:
            message = str(error)
        except BaseException:
            message = ""
        if len(message) > 300:
            message = message[:300] + "…"
        if isinstance(error, SyntaxError) and importing:
            where = (error.filename or "").replace(self.student, "")
            line = (error.text or "").strip()
            return "%s at %s, line %s: %s%s" % (kind, where or self.module + ".py", error.lineno, error.msg,
                                                 " (`%s`)" % line[:120] if line else "")
        if isinstance(error, SystemExit):
            return "called sys.exit(%s); a function must return its answer" % (message or "")
        if isinstance(error, MemoryError):
            message = (message + " " if message else "") + "(the item's memory limit was reached)"
        frames = []
        for frame in traceback.extract_tb(error.__traceback__):
            if frame.filename.startswith(self.student):
                text = "%s, line %d, in %s" % (frame.filename[len(self.student):], frame.lineno, frame.name)
                if frame.line:
                    text += ": `%s`" % frame.line.strip()[:120]
                frames.append(text)
        text = "raised %s" % kind + (": " + message if message else "")
        if frames:
            text += " (" + "; called from ".join(reversed(frames[-3:])) + ")"
        return text


if __name__ == "__main__":
    main()
"""#
}
