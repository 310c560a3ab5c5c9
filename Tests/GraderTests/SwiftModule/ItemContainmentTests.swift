import Foundation
import Testing
@testable import Grader

/// What a student's process cannot do to the grader or to other students: fill the disk, outlive
/// its item, use the grader's descriptors or the network, reach the grader's binary or cache, or
/// crash the grader with a result it cannot hold — under every isolation available here.
///
/// Nested in the serialized `SwiftModuleRunnerTests`, so that the checks for processes left
/// behind see only this suite's items.
extension SwiftModuleRunnerTests {
  @Suite(.serialized, .enabled(if: SwiftModuleFixtures.swiftcAvailable, SwiftModuleFixtures.swiftcMissingMessage))
  struct ItemContainmentTests {
    /// A TCP port on 127.0.0.1 this test process listens on: an item that reaches the network
    /// can connect to it.
    static let listener: (fd: Int32, port: UInt16) = {
      let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
      var address = sockaddr_in()
      address.sin_family = sa_family_t(AF_INET)
      address.sin_addr.s_addr = inet_addr("127.0.0.1")
      address.sin_port = 0
      var length = socklen_t(MemoryLayout<sockaddr_in>.size)
      _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
      _ = listen(fd, 16)
      _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
      return (fd, UInt16(bigEndian: address.sin_port))
    }()

    /// An rnn-bptt submission whose items each try something against the grader; `loss` is honest.
    static func source(port: UInt16) -> String {
      #"""
      import Foundation

      func loss(_ p: Inputs) -> Double? { Double(p.T) }

      /// Fills every directory it can write, 4 MiB files of 1 MiB writes, and returns the MiB written.
      func dU(_ p: Inputs) -> [[Double]]? {
        let chunk = [UInt8](repeating: 7, count: 1 << 20)
        var written = 0
        outer: for n in 0..<4096 {
          for (k, directory) in [".", "/tmp"].enumerated() {
            guard let file = fopen("\(directory)/fill-\(k)-\(n)", "wb") else { continue }
            for _ in 0..<4 {
              if fwrite(chunk, 1, chunk.count, file) != chunk.count || fflush(file) != 0 { fclose(file); break outer }
              written += 1
            }
            if fclose(file) != 0 { break outer }
          }
        }
        return [[Double(written)]]
      }

      /// Leaves a daemon behind: fork, setsid, fork again; the grandchild sleeps for 300 s.
      func db_2(_ p: Inputs) -> [Double]? {
        let child = fork()
        if child == 0 {
          _ = setsid()
          if fork() == 0 {
            for _ in 0..<300 { sleep(1) }
          }
          exit(0)
        }
        var status: Int32 = 0
        _ = waitpid(child, &status, 0)
        return [1]
      }

      /// The descriptors it holds, after writing to every one above 3.
      func dW_h(_ p: Inputs) -> [[Double]]? {
        var open: [Double] = []
        for fd in Int32(0)..<1024 where fcntl(fd, F_GETFD) != -1 { open.append(Double(fd)) }
        for fd in Int32(4)..<1024 { _ = write(fd, "pwned\n", 6) }
        return [open]
      }

      /// 1 when it can connect to the test's listener on 127.0.0.1.
      func dW_e(_ p: Inputs) -> [[Double]]? {
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(\#(port)).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
          $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(s, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return [[connected == 0 ? 1 : 0]]
      }

      /// A FIFO and a huge result where result files used to be read, then a frame declaring a
      /// 2⁶²×2⁶²×16 value on the result pipe, and an exit before the harness answers.
      func db_1(_ p: Inputs) -> [Double]? {
        _ = mkfifo("result-0.txt", 0o644)
        let huge = "grading-result 1 db_1\nvalue 3 4611686018427387904 4611686018427387904 16\n"
        FileManager.default.createFile(atPath: "result-1.txt", contents: Data(huge.utf8))
        let frame = "result 0 \(huge.utf8.count)\n" + huge
        _ = frame.withCString { write(3, $0, strlen($0)) }
        exit(0)
      }

      /// The device and inode of its parent's executable, or -1 when it cannot open it.
      func dE(_ p: Inputs) -> [[Double]]? {
        let fd = open("/proc/\(getppid())/exe", O_RDONLY)
        guard fd >= 0 else { return [[-1, -1]] }
        var info = stat()
        _ = fstat(fd, &info)
        close(fd)
        return [[Double(info.st_dev), Double(info.st_ino)]]
      }

      /// How many grading-harness caches it can see.
      func dh0(_ p: Inputs) -> [Double]? {
        var found = 0.0
        for base in ["/tmp", NSTemporaryDirectory()] {
          for name in (try? FileManager.default.contentsOfDirectory(atPath: base)) ?? [] where name.hasPrefix("swift-grading-harness") {
            found += 1
          }
        }
        return [found]
      }

      func delta1(_ p: Inputs) -> [[Double]]? { nil }
      func delta2(_ p: Inputs) -> [[Double]]? { nil }
      func dW_h_terms(_ p: Inputs) -> [[[Double]]]? { nil }
      """#
    }

    static let limits = SandboxLimits(wallClockSeconds: 30, cpuSeconds: 20, maxWorkspaceBytes: 64 << 20)

    static func submission(_ isolation: Isolation) throws -> CompiledSwiftSubmission {
      let port = listener.port
      return try SwiftModuleFixtures.compiledOnce(key: "containment", isolation: isolation, assignment: "rnn-bptt", limits: limits) {
        try SwiftModuleFixtures.writeSubmission(["Solution.swift": source(port: port)])
      }
    }

    static func run(_ isolation: Isolation, items: [String]) throws -> SwiftModuleRun {
      let spec = try SwiftModuleFixtures.spec("rnn-bptt")
      let submission = try submission(isolation)
      #expect(submission.compiled, "\(submission.compileErrors) \(submission.setupError ?? "")")
      return submission.run(itemIDs: items, itemShapes: spec.itemShapes, inputs: SwiftModuleFixtures.randomInputs(spec, seed: 11))
    }

    @Test("a disk filler meets its quota, and the item beside it still answers", arguments: SwiftModuleFixtures.isolations)
    func diskFillerIsBounded(isolation: Isolation) throws {
      let run = try Self.run(isolation, items: ["dU", "loss"])
      #expect(run.outcomes["loss"] == .value(Tensor(shape: [], scalars: [6])))
      switch run.outcomes["dU"] {
      case .value(let t)?:
        // Its writes failed at the tmpfs's 64 MiB (bubblewrap).
        #expect(t.scalars.count == 1 && t.scalars[0] <= 64, "wrote \(t.scalars) MiB")
      case .failed(let why)?:
        // Stopped by the quota checked while it runs (rlimits).
        #expect(why.contains("more than 64 MiB to disk"), "\(why)")
      default:
        Issue.record("dU: \(String(describing: run.outcomes["dU"]))")
      }
      #expect(run.infrastructureError == nil)
    }

    @Test("a daemon started by an item (fork, setsid, fork) does not outlive it", arguments: SwiftModuleFixtures.isolations)
    func daemonDoesNotSurvive(isolation: Isolation) throws {
      let run = try Self.run(isolation, items: ["db_2"])
      #expect(run.outcomes["db_2"] == .value(Tensor(shape: [1], scalars: [1])))
      guard SandboxPlan.isRoot else { return }
      let uid = try #require(run.itemUIDs["db_2"])
      #expect(ProcessSweep.processes(ofUID: uid).isEmpty, "processes of the item's uid \(uid) are left")
    }

    @Test("an item holds only descriptors 0–3 and cannot write to one the grader left open", arguments: SwiftModuleFixtures.isolations)
    func descriptorsDoNotLeak(isolation: Isolation) throws {
      let file = SwiftModuleFixtures.scratch.appendingPathComponent("leaked-\(UUID().uuidString)")
      let leaked = open(file.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)   // no O_CLOEXEC, on purpose
      #expect(leaked > 3)
      defer { close(leaked) }
      let run = try Self.run(isolation, items: ["dW_h"])
      #expect(run.outcomes["dW_h"] == .value(Tensor(shape: [1, 4], scalars: [0, 1, 2, 3])), "\(String(describing: run.outcomes["dW_h"]))")
      #expect((try Data(contentsOf: file)).isEmpty)
    }

    @Test("an item cannot reach the network", arguments: SwiftModuleFixtures.isolations)
    func noNetwork(isolation: Isolation) throws {
      let run = try Self.run(isolation, items: ["dW_e"])
      if run.isolationUsed.contains("the network is reachable") {
        #expect(run.outcomes["dW_e"]?.tensor != nil)
      } else {
        #expect(run.outcomes["dW_e"] == .value(Tensor(shape: [1, 1], scalars: [0])), "\(run.isolationUsed)")
      }
    }

    @Test("a FIFO, a huge result file and a frame declaring a 2⁶²×2⁶²×16 value are refused within seconds",
          arguments: SwiftModuleFixtures.isolations)
    func oversizedResultIsRefused(isolation: Isolation) throws {
      let start = Date()
      let run = try Self.run(isolation, items: ["db_1", "loss"])
      let elapsed = Date().timeIntervalSince(start)
      guard case .failed(let why) = run.outcomes["db_1"] else {
        Issue.record("db_1: \(String(describing: run.outcomes["db_1"]))")
        return
      }
      #expect(why.hasPrefix("declared a value of shape 4611686018427387904×4611686018427387904×16, more than the"), "\(why)")
      #expect(run.outcomes["loss"] == .value(Tensor(shape: [], scalars: [6])))
      #expect(elapsed < 5, "took \(elapsed) s")
    }

    @Test("an item cannot open the grader's executable through /proc, nor see the harness cache",
          arguments: SwiftModuleFixtures.isolations)
    func graderIsOutOfReach(isolation: Isolation) throws {
      let run = try Self.run(isolation, items: ["dE", "dh0"])
      var own = stat()
      #expect(stat("/proc/self/exe", &own) == 0)
      let parent = try #require(run.outcomes["dE"]?.tensor, "\(String(describing: run.outcomes["dE"]))")
      #expect(parent.scalars != [Double(own.st_dev), Double(own.st_ino)], "the item opened the grader's executable")
      guard SandboxPlan.isRoot else { return }
      #expect(run.outcomes["dh0"] == .value(Tensor(shape: [1], scalars: [0])), "\(String(describing: run.outcomes["dh0"]))")
    }
  }
}
