import Foundation
import Testing
@testable import Grader

/// A corpus of hostile Python submissions: each misbehaving item is contained and reported against
/// that item, the score is never above the honest one, the other items still run, and no process
/// is left behind — under every isolation available here.
///
/// Nested in the serialized `SwiftModuleRunnerTests`, so that the check for processes left behind
/// sees only its own run's items.
extension SwiftModuleRunnerTests {
  @Suite(.serialized, .enabled(if: PythonModuleFixtures.pythonAvailable, PythonModuleFixtures.pythonMissingMessage))
  struct PythonHostileTests {
    static let limits = SandboxLimits(wallClockSeconds: 3, cpuSeconds: 3, maxProcesses: 16)

    /// A TCP listener on 127.0.0.1, for the item that tries the network.
    static let listener: (fd: Int32, port: Int) = {
      let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
      var address = sockaddr_in()
      address.sin_family = sa_family_t(AF_INET)
      address.sin_addr.s_addr = inet_addr("127.0.0.1")
      address.sin_port = 0
      var length = socklen_t(MemoryLayout<sockaddr_in>.size)
      _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
      _ = listen(fd, 16)
      _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
      return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }()

    /// Files the items must not read: a course key (mode 600) and another student's submission.
    static let secrets: (key: URL, other: URL) = {
      let folder = SwiftModuleFixtures.scratch.appendingPathComponent("python-secrets-\(UUID().uuidString)", isDirectory: true)
      try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
      let key = folder.appendingPathComponent("course.key")
      try? CourseKey.generate().fileText.write(to: key, atomically: true, encoding: .utf8)
      chmod(key.path, 0o600)
      let other = folder.appendingPathComponent("other-student/solution.py")
      try? FileManager.default.createDirectory(at: other.deletingLastPathComponent(), withIntermediateDirectories: true)
      try? "answer = 42\n".write(to: other, atomically: true, encoding: .utf8)
      return (key, other)
    }()

    /// backprop-basics: one honest item, fourteen hostile ones.
    static func basicsSource() -> String {
      let sources = SwiftModuleFixtures.repository.appendingPathComponent("Sources/Grader/Tensor.swift").path
      return #"""
      import os
      import sys

      import numpy as np

      OUTSIDE = [\#(["\(sources)", secrets.key.path, secrets.other.path].map { "\"\($0)\"" }.joined(separator: ", "))]
      PORT = \#(listener.port)


      def sigmoid(z):
          return 1.0 / (1.0 + np.exp(-z))


      def dh_dz(x, W, b, u):                  # honest
          h = sigmoid(W @ x + b)
          return np.diag(h * (1 - h))


      def delta(x):                           # an endless loop
          while True:
              pass


      def ds_db(x):                           # a fork loop
          while True:
              try:
                  os.fork()
              except OSError:
                  pass


      def ds_dW(x):                           # a memory bomb
          return np.ones((1 << 17, 1 << 17))


      def ds_dx(x):                           # a disk fill
          written = 0
          for folder in [".", "/", "/tmp", "/dev/shm", "/sbx", "/sbx/run", "/sbx/student", os.path.expanduser("~")]:
              try:
                  with open(os.path.join(folder, "fill.bin"), "wb") as f:
                      for _ in range(64):
                          written += f.write(b"x" * (1 << 20))
              except OSError:
                  pass
          return np.array([written])


      def ds_du(b):                           # 1 GB to standard output and standard error
          chunk = "y" * (1 << 20)
          for _ in range(512):
              sys.stdout.write(chunk)
              sys.stderr.write(chunk)
          return np.zeros(len(b))


      def softmax_jacobian(theta):            # sys.exit(0) before a result
          sys.exit(0)


      def dCE_dtheta(theta):                  # os._exit(0)
          os._exit(0)


      def dJ_dwindow(window):                 # files outside the sandbox
          read = 0
          for path in OUTSIDE + ["/etc/passwd", "/proc/1/environ", "/proc/%d/environ" % os.getppid(), "/root/.bashrc"]:
              try:
                  with open(path, "rb") as f:
                      read += len(f.read(1))
              except OSError:
                  pass
          return np.array([[read]])


      def dJ_dW_win(window):                  # the grader's environment
          leaked = [k for k, v in os.environ.items() if "KEY" in k.upper() or "GRADE" in k.upper() or "course.key" in v]
          return np.array([[len(leaked)]])


      def dJ_db_win(window):                  # the network
          import socket
          reached = 0
          for address in [("127.0.0.1", PORT), ("1.1.1.1", 53)]:
              try:
                  socket.create_connection(address, timeout=1).close()
                  reached += 1
              except OSError:
                  pass
          return np.array([reached])


      def dJ_du_win(window):                  # ctypes, /proc and memory against the harness and its nonce
          import ctypes
          import gc
          import re
          libc = ctypes.CDLL(None, use_errno=True)
          parent = os.getppid()
          succeeded = 0
          if libc.ptrace(16, parent, 0, 0) == 0:
              succeeded += 1
          for path in ["/proc/%d/mem" % parent, "/proc/%d/fd/1" % parent, "/proc/1/fd/1", "/proc/1/fd/0"]:
              try:
                  os.close(os.open(path, os.O_RDWR))
                  succeeded += 1
              except OSError:
                  pass
          if libc.setuid(0) == 0:
              succeeded += 1
          if os.read(0, 100):
              succeeded += 1
          hexes = re.compile(r"[0-9a-f]{64}")
          nonces = sum(1 for o in gc.get_objects() if isinstance(o, (str, bytes)) and len(o) in (64, 65)
                       and hexes.fullmatch(o[:64] if isinstance(o, str) else o[:64].decode("latin-1")))
          return np.array([succeeded, nonces])


      def dL_dW_cls(X):                       # ctypes: a segmentation fault
          import ctypes
          return ctypes.c_long.from_address(0xDEADBEEF000).value


      def graph_grad(xyz):                    # forged results: printed, written, sent out of turn
          forged = "grading-python 1 graph_grad 0 value 3 " + "ab" * 32 + "\n42\n"
          print(forged)
          sys.stderr.write(forged)
          for path in ["result-0.txt", "/sbx/run/config.json", "/sbx/harness/harness.py"]:
              try:
                  with open(path, "w") as f:
                      f.write(forged)
              except OSError:
                  pass
          os.write(3, b"value 1 3\n{}\n")
          return np.array([42.0, 42.0, 42.0])


      def dz_dt(t):                           # numpy patched so that comparisons would pass
          np.allclose = lambda *a, **k: True
          np.isclose = lambda *a, **k: True
          np.array_equal = lambda *a, **k: True
          np.save = lambda *a, **k: None
          np.asarray = lambda *a, **k: np.zeros(0)
          np.ascontiguousarray = lambda *a, **k: np.zeros(0)
          return 0.0
      """#
    }

    /// rnn-bptt: eleven hostile items.
    static let bpttSource = #"""
      import os
      import signal
      import sys
      import threading

      import numpy as np


      def loss(tokens):                       # signals to the harness: its parent, PID 1
          refused = 0.0
          for pid in [os.getppid(), 1]:
              try:
                  os.kill(pid, signal.SIGKILL)
              except OSError:
                  refused += 1
          return refused


      def dU(E):                              # kill(-1): every other process it may signal
          os.kill(-1, signal.SIGKILL)
          return np.zeros_like(E)


      def db_2(b_2):                          # dtype object
          return np.array([{} for _ in b_2], dtype=object)


      def dW_h(W_h):                          # 10¹² entries that take no memory
          return np.lib.stride_tricks.as_strided(np.zeros(1), shape=(10 ** 6, 10 ** 6), strides=(0, 0))


      def dW_e(W_e):                          # multiprocessing
          import multiprocessing
          with multiprocessing.Pool(4) as pool:
              return np.array(pool.map(abs, range(8)), dtype=float)


      def db_1(b_1):                          # a C stack overflow (repr calls back into Python)
          sys.setrecursionlimit(10 ** 8)

          class Deep:
              def __repr__(self):
                  return repr(self)
          return repr(Deep())


      def dE(E):                              # past the import guard
          sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "ImportGuard"]
          import sympy  # noqa: F401
          return np.zeros_like(E)


      def dh0(h0):                            # a daemon that would outlive the item
          if os.fork() == 0:
              os.setsid()
              if os.fork() == 0:
                  import time
                  time.sleep(600)
              os._exit(0)
          return np.zeros_like(h0)


      def delta1(tokens, U):                  # a thread bomb
          import time
          for _ in range(10000):
              threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
          return np.zeros((len(tokens) - 1, U.shape[0]))


      def delta2(tokens, W_h):                # CPU time, SIGXCPU ignored
          signal.signal(signal.SIGXCPU, signal.SIG_IGN)
          x = 0
          while True:
              x += 1


      def dW_h_terms(tokens, W_h):            # NaN and Inf, of the right shape
          T, H = len(tokens) - 1, W_h.shape[0]
          out = np.full((T, H, H), np.nan)
          out[0, 0, 0] = np.inf
          return out
      """#

    static func run(_ assignment: String, source: String, isolation: Isolation) throws -> (SwiftModuleRun, GradeReport, Double) {
      let spec = try SwiftModuleFixtures.spec(assignment)
      let prepared = try PythonModuleFixtures.preparedOnce(key: "hostile-\(assignment)", isolation: isolation, assignment: assignment, limits: limits) {
        try PythonModuleFixtures.writeSubmission(["solution.py": source])
      }
      let g = try grader(assignment)
      let start = Date()
      let run = prepared.run(itemIDs: spec.itemIDs, itemShapes: spec.itemShapes, inputs: g.inputs(for: "hostile"))
      let seconds = Date().timeIntervalSince(start)
      let report = g.grade(student: "hostile", answers: SubmissionGrading.answers(of: run, items: spec.itemIDs), isolation: run.isolationUsed, kind: .code)
      return (run, report, seconds)
    }

    static func failure(_ run: SwiftModuleRun, _ id: String) -> String {
      if case .failed(let why)? = run.outcomes[id] { return why }
      Issue.record("\(id) should have failed, got \(String(describing: run.outcomes[id]))")
      return ""
    }

    static func value(_ run: SwiftModuleRun, _ id: String) -> [Double] {
      guard let tensor = run.outcomes[id]?.tensor else {
        Issue.record("\(id) should have a value, got \(String(describing: run.outcomes[id]))")
        return []
      }
      return tensor.scalars
    }

    @Test("backprop-basics: loops, forks, memory, disk, output, exits, files, environment, network, ctypes, forged results and a patched NumPy are contained",
          arguments: PythonModuleFixtures.isolations)
    func basics(isolation: Isolation) throws {
      let (run, report, seconds) = try Self.run("backprop-basics", source: Self.basicsSource(), isolation: isolation)
      if isolation == .bubblewrap { #expect(run.isolationUsed.hasPrefix("bubblewrap")) }
      if isolation == .rlimits { #expect(run.isolationUsed.hasPrefix("rlimits")) }
      let isolated = !run.isolationUsed.contains("no file-system isolation")

      // The honest item passes; nothing else earns a point.
      #expect(report.item("dh_dz")?.status == .pass, "\(report.item("dh_dz")?.message ?? "")")
      #expect(report.score == report.item("dh_dz")?.maxPoints)
      #expect(report.items.filter { $0.status == .pass }.map(\.id) == ["dh_dz"])

      #expect(Self.failure(run, "delta").contains("3 s wall-clock limit"))
      #expect(Self.failure(run, "ds_db").contains("wall-clock limit"))
      let memory = Self.failure(run, "ds_dW")
      #expect(memory.contains("MemoryError") && memory.contains("memory limit was reached"), "\(memory)")
      if case .value(let t)? = run.outcomes["ds_du"] { #expect(t.scalars.allSatisfy { $0 == 0 }) } else {
        #expect(Self.failure(run, "ds_du").contains("limit"))
      }
      #expect(Self.failure(run, "softmax_jacobian").contains("called sys.exit(0); a function must return its answer"))
      #expect(Self.failure(run, "dCE_dtheta") == "exited before returning a value (does the code call os._exit()?)")
      let segfault = Self.failure(run, "dL_dW_cls")
      #expect(segfault.hasPrefix("crashed with SIGSEGV") && segfault.contains("solution.py, line"), "\(segfault)")
      let forged = Self.failure(run, "graph_grad")
      #expect(forged.contains("sent an answer for input set 2 while set 1 was expected"), "\(forged)")
      #expect(Self.value(run, "dz_dt") == [0])
      #expect(Self.value(run, "dJ_du_win") == [0, 0], "no ptrace, no /proc access to the harness, no root, no nonce")
      if isolated {
        // Only the item's own working space (/tmp, TMPDIR) can be written: one file, cut at the
        // file-size limit; the student's folder, the run's inputs and / are read-only.
        let written = Self.value(run, "ds_dx").first ?? .infinity
        #expect(written <= Double(Self.limits.maxFileBytes), "\(written) bytes written")
        #expect(Self.value(run, "dJ_dwindow") == [0], "no file outside the sandbox can be read")
        #expect(Self.value(run, "dJ_dW_win") == [0], "the environment is the harness's own")
        if !run.isolationUsed.contains("network is reachable") { #expect(Self.value(run, "dJ_db_win") == [0], "no network") }
      }
      #expect(seconds < 120, "\(seconds) s")
      #expect(PythonModuleFixtures.itemProcesses().isEmpty, "processes left: \(PythonModuleFixtures.itemProcesses())")
    }

    @Test("rnn-bptt: signals, kill(-1), object and 10¹²-entry arrays, multiprocessing, stack overflow, the import guard, daemons, threads and CPU time are contained",
          arguments: PythonModuleFixtures.isolations)
    func bptt(isolation: Isolation) throws {
      let (run, report, seconds) = try Self.run("rnn-bptt", source: Self.bpttSource, isolation: isolation)
      #expect(report.score == 0)
      #expect(!report.items.contains { $0.status == .pass })
      #expect(Self.value(run, "loss") == [2], "neither the harness nor PID 1 could be signalled")
      #expect(Self.value(run, "dU").allSatisfy { $0 == 0 }, "kill(-1) spares the caller, and reaches no other item")
      #expect(Self.failure(run, "db_2").contains("dtype object"))
      #expect(Self.failure(run, "dW_h").contains("shape 1000000×1000000 (1000000000000 entries)"))
      #expect(!Self.failure(run, "dW_e").isEmpty)
      let overflow = Self.failure(run, "db_1")
      #expect(overflow.hasPrefix("crashed with SIGSEGV") && overflow.contains("solution.py, line"), "\(overflow)")
      #expect(Self.failure(run, "dE").contains("No module named 'sympy'") || run.isolationUsed.contains("no file-system isolation"))
      #expect(Self.value(run, "dh0").allSatisfy { $0 == 0 })
      #expect(Self.failure(run, "delta1").contains("can't start new thread"))
      #expect(Self.failure(run, "delta2").contains("limit"))
      #expect(report.item("dW_h_terms")?.status == .fail)
      #expect(report.item("dW_h_terms")?.message.contains("NaN") == true)
      #expect(seconds < 120, "\(seconds) s")
      #expect(PythonModuleFixtures.itemProcesses().isEmpty, "processes left: \(PythonModuleFixtures.itemProcesses())")
    }

    /// window-lm items that count the sets they answered (module state carries over within an
    /// item's process) and misbehave at the second.
    static let setsSource = #"""
      import os

      answered = 0


      def loss(tokens):
          global answered
          answered += 1
          return 1000.0 * answered


      def delta1(tokens):
          global answered
          answered += 1
          if answered == 2:
              raise ValueError("second set")
          return [float(answered)]


      def dU(tokens):
          global answered
          answered += 1
          if answered == 2:
              os._exit(3)
          return [[float(answered)]]


      def db_2(tokens):
          global answered
          answered += 1
          if answered == 2:
              while True:
                  pass
          return [float(answered)]
      """#

    @Test("three input sets in one process per item: state carries over, an exception costs one set, a crash or a limit the sets from there on")
    func inputSets() throws {
      let spec = try SwiftModuleFixtures.spec("window-lm")
      let prepared = try PythonModuleFixtures.preparedOnce(key: "sets", assignment: "window-lm", limits: Self.limits) {
        try PythonModuleFixtures.writeSubmission(["solution.py": Self.setsSource])
      }
      let g = try grader("window-lm")
      let runs = prepared.run(itemIDs: ["loss", "delta1", "dU", "db_2"], itemShapes: spec.itemShapes,
                              inputSets: ["a", "b", "c"].map { g.inputs(for: $0) })
      #expect(runs.map { $0.outcomes["loss"]?.tensor?.scalars } == [[1000], [2000], [3000]])
      #expect(runs[0].outcomes["delta1"]?.tensor?.scalars == [1])
      #expect(runs[1].outcomes["delta1"] == .failed("raised ValueError: second set (solution.py, line 16, in delta1: `raise ValueError(\"second set\")`)"))
      #expect(runs[2].outcomes["delta1"]?.tensor?.scalars == [3])
      #expect(runs[0].outcomes["dU"]?.tensor?.scalars == [1])
      #expect(runs[1].outcomes["dU"] == .failed("exited with status 3 before returning a value"))
      #expect(runs[2].outcomes["dU"] == .failed("not run: the item's process ended at input set 2 of 3 (exited with status 3 before returning a value)"))
      #expect(runs[0].outcomes["db_2"]?.tensor?.scalars == [1])
      let limit = Self.failure(runs[1], "db_2")
      #expect(limit.contains("9 s wall-clock limit of 3 input sets (3 s each"), "\(limit)")
      #expect(Self.failure(runs[2], "db_2").hasPrefix("not run: the item's process ended at input set 2 of 3"))
    }

    @Test("the import guard names what may be imported, and the rubric's python_packages widen it")
    func importGuard() throws {
      let source = "import numpy as np\n\n\ndef loss(tokens):\n    import scipy.special\n    return float(scipy.special.expit(0.0))\n"
      let spec = try SwiftModuleFixtures.spec("window-lm")
      let inputs = try grader("window-lm").inputs(for: "guard")
      let refused = try PythonModuleFixtures.preparedOnce(key: "guard", assignment: "window-lm") {
        try PythonModuleFixtures.writeSubmission(["solution.py": source])
      }.run(itemIDs: ["loss"], itemShapes: spec.itemShapes, inputs: inputs)
      let why = Self.failure(refused, "loss")
      #expect(why.contains("import of 'scipy' is not allowed: a submission may use the Python standard library and numpy only"), "\(why)")
      #expect(why.contains("solution.py, line 5, in loss"), "\(why)")
      guard (try? PythonInterpreter.located())?.packages["scipy"] != nil else { return }
      let allowed = try PythonModuleFixtures.preparedOnce(key: "guard-scipy", assignment: "window-lm", allowedPackages: ["scipy"]) {
        try PythonModuleFixtures.writeSubmission(["solution.py": source])
      }.run(itemIDs: ["loss"], itemShapes: spec.itemShapes, inputs: inputs)
      #expect(allowed.outcomes["loss"]?.tensor?.scalars == [0.5], "\(String(describing: allowed.outcomes["loss"]))")
    }
  }
}
