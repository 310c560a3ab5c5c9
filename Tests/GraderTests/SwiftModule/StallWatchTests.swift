import Foundation
import Testing
@testable import Grader

/// `StallWatch`: a child whose tree keeps a dead process uncollected is stopped and reported;
/// a tree that collects its children is left alone.
@Suite("A stalled process tree")
struct StallWatchTests {
  static func run(_ script: String, stallSeconds: Double = 1, wallClock: Double = 60) throws -> ProcessReport {
    try SandboxedProcess.run(executable: "/bin/sh", arguments: ["-c", script], environment: ["PATH": "/usr/bin:/bin"],
                             wallClockSeconds: wallClock, maxOutputBytes: 1 << 16, stallWatch: StallWatch(seconds: stallSeconds))
  }

  @Test("a parent that never collects its dead child is stopped after the stall time, not at the wall clock")
  func uncollectedChild() throws {
    // `sleep 0` runs in the background; the shell then becomes `sleep 600`, which never waits for it.
    let report = try Self.run("sleep 0 & exec sleep 600")
    #expect(report.stalled)
    #expect(!report.timedOut)
    #expect(report.seconds < 30, "stopped after \(report.seconds) s")
  }

  @Test("a grandchild left uncollected deep in the tree counts too")
  func deepTree() throws {
    let report = try Self.run("sh -c 'sleep 0 & exec sleep 600'; sleep 600")
    #expect(report.stalled)
    #expect(report.seconds < 30, "stopped after \(report.seconds) s")
  }

  @Test("a tree that collects its children runs to its end", arguments: ["sleep 0; sleep 3", "sleep 1 & sleep 1 & wait; sleep 2"])
  func healthyTree(script: String) throws {
    let report = try Self.run(script)
    #expect(!report.stalled)
    #expect(report.termination == .exited(0))
  }

  @Test("without a watch, the wall clock ends an uncollected child's tree")
  func withoutWatch() throws {
    let report = try SandboxedProcess.run(executable: "/bin/sh", arguments: ["-c", "sleep 0 & exec sleep 600"], environment: [:],
                                          wallClockSeconds: 3, maxOutputBytes: 1 << 16)
    #expect(!report.stalled)
    #expect(report.timedOut)
  }

  @Test("the state and the parent of a process are read after the last ')' of its stat line")
  func statLine() throws {
    let mine = try #require(StallWatch.stat(of: getpid()))
    #expect(mine.parent == getppid())
    #expect(mine.state == UInt8(ascii: "R") || mine.state == UInt8(ascii: "S"))
    #expect(StallWatch.stat(of: -1) == nil)
  }
}
