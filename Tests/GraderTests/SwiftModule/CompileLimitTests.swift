import Foundation
import Testing
@testable import Grader

/// The compiler runs like an item: sandboxed, under an unused uid, with limits on memory, CPU
/// time, file size and processes, on copies of the submission's regular files.
extension SwiftModuleRunnerTests {
  @Suite(.serialized, .enabled(if: SwiftModuleFixtures.swiftcAvailable, SwiftModuleFixtures.swiftcMissingMessage))
  struct CompileLimitTests {
    static let solution = SwiftModuleFixtures.assignmentDirectory("rnn-canonical").appendingPathComponent("examples/swift-solution/Solution.swift")

    @Test("a compile past its memory limit stops with a sentence, and leaves no process", arguments: SwiftModuleFixtures.isolations)
    func memoryLimit(isolation: Isolation) throws {
      let files = try SwiftModuleFixtures.writeSubmission(["Solution.swift": try String(contentsOf: Self.solution, encoding: .utf8)])
      let spec = try SwiftModuleFixtures.spec("rnn-canonical")
      _ = SwiftModuleFixtures.scratch
      let submission = SwiftModuleRunner.compile(
        files: files, assignment: try SwiftModuleFixtures.assignment("rnn-canonical"), itemIDs: spec.itemIDs,
        limits: SandboxLimits(compileMemoryBytes: 160 << 20), isolation: isolation)
      #expect(!submission.compiled)
      #expect(submission.setupError == nil, "\(submission.setupError ?? "")")
      let first = try #require(submission.compileErrors.first)
      #expect(first.contains("160 MiB limit of the compile") || first.contains("160 MiB of memory the compile may use"),
              "\(submission.compileErrors)")
      if SandboxPlan.isRoot, let uid = submission.compileUID {
        #expect(ProcessSweep.processes(ofUID: uid).isEmpty)
      }
    }

    @Test("the compiler reads copies: a link inside the submission becomes a regular file in the workspace",
          arguments: SwiftModuleFixtures.isolations)
    func sourcesAreCopies(isolation: Isolation) throws {
      let folder = SwiftModuleFixtures.scratch.appendingPathComponent("linked-\(UUID().uuidString)", isDirectory: true)
      try FileManager.default.createDirectory(at: folder.appendingPathComponent("lib"), withIntermediateDirectories: true)
      try FileManager.default.copyItem(at: Self.solution, to: folder.appendingPathComponent("lib/Real.swift"))
      try FileManager.default.createSymbolicLink(atPath: folder.appendingPathComponent("Solution.swift").path, withDestinationPath: "lib/Real.swift")
      let spec = try SwiftModuleFixtures.spec("rnn-canonical")
      let submission = SwiftModuleRunner.compile(
        files: [folder.appendingPathComponent("Solution.swift")], assignment: try SwiftModuleFixtures.assignment("rnn-canonical"),
        itemIDs: spec.itemIDs, isolation: isolation, root: folder)
      #expect(submission.compiled, "\(submission.compileErrors) \(submission.setupError ?? "")")
      let workspace = try #require(submission.workspace)
      var info = stat()
      #expect(lstat(workspace.sources.appendingPathComponent("Solution.swift").path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG)
      #expect(lstat(workspace.binary.path, &info) == 0 && info.st_uid == geteuid() && (info.st_mode & 0o777) == 0o555)
    }

    @Test("a link to another student's file is refused before anything is compiled")
    func linkOutIsRefused() throws {
      let root = SwiftModuleFixtures.scratch.appendingPathComponent("students-\(UUID().uuidString)", isDirectory: true)
      let alice = root.appendingPathComponent("alice"), bob = root.appendingPathComponent("bob")
      for folder in [alice, bob] { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
      try FileManager.default.copyItem(at: Self.solution, to: bob.appendingPathComponent("Solution.swift"))
      try FileManager.default.createSymbolicLink(at: alice.appendingPathComponent("Solution.swift"), withDestinationURL: bob.appendingPathComponent("Solution.swift"))
      let spec = try SwiftModuleFixtures.spec("rnn-canonical")
      let submission = SwiftModuleRunner.compile(
        files: [alice.appendingPathComponent("Solution.swift")], assignment: try SwiftModuleFixtures.assignment("rnn-canonical"),
        itemIDs: spec.itemIDs, root: alice)
      guard case .linkLeavesSubmission("Solution.swift", _)? = submission.entryError else {
        Issue.record("\(String(describing: submission.entryError))")
        return
      }
      #expect(!submission.compiled)
    }

    struct Ending: Sendable, CustomTestStringConvertible {
      var name: String
      var report: ProcessReport
      var sentence: String
      var infrastructure: Bool
      var testDescription: String { name }
    }

    static func report(_ termination: ProcessTermination, timedOut: Bool = false, stderr: String = "", quota: String? = nil,
                       stalled: Bool = false) -> ProcessReport {
      ProcessReport(termination: termination, timedOut: timedOut, stdout: [], stderr: Array(stderr.utf8), outputTruncated: false,
                    seconds: 1, quotaExceeded: quota, stalled: stalled)
    }

    static let endings: [Ending] = [
      Ending(name: "wall clock", report: report(.signaled(SIGKILL), timedOut: true),
             sentence: "the compiler did not finish within the 360 s wall-clock limit of the compile (the machine may be overloaded)", infrastructure: true),
      Ending(name: "CPU time", report: report(.signaled(SIGXCPU)), sentence: "the compiler was stopped at the 120 s CPU-time limit of the compile", infrastructure: false),
      Ending(name: "CPU time, bwrap's status", report: report(.exited(128 + SIGKILL)), sentence: "the compiler was stopped at the 120 s CPU-time limit of the compile", infrastructure: false),
      Ending(name: "memory", report: report(.exited(1), stderr: "LLVM ERROR: out of memory"), sentence: "the compiler ran out of memory under the 4 GiB limit of the compile", infrastructure: false),
      Ending(name: "file size", report: report(.signaled(SIGXFSZ)), sentence: "the compiler was stopped at the 256 MiB file-size limit of the compile", infrastructure: false),
      Ending(name: "quota", report: report(.signaled(SIGKILL), quota: "it wrote more than 512 MiB to disk (the item's quota for its working directory)"),
             sentence: "the compiler was stopped: it wrote more than 512 MiB to disk (the item's quota for its working directory)", infrastructure: false),
      Ending(name: "a crashed frontend", report: report(.exited(1), stderr: "error: compile command failed due to signal 11 (use -v to see invocation)"),
             sentence: "the compiler crashed, most likely out of the 4 GiB of memory the compile may use: error: compile command failed due to signal 11 (use -v to see invocation)",
             infrastructure: false),
      Ending(name: "a stalled driver", report: report(.signaled(SIGKILL), stalled: true),
             sentence: "the compiler stopped responding after one of its processes died (uncollected for 15 s), most likely out of the 4 GiB of memory the compile may use",
             infrastructure: false),
      Ending(name: "full disk", report: report(.exited(1), stderr: "error: No space left on device"), sentence: "the compiler could not write its output: no space left on device", infrastructure: true),
    ]

    @Test("a compile stopped by a limit says which; only the wall clock and a full disk are the machine's", arguments: endings)
    func limitSentences(c: Ending) throws {
      let plan = SandboxPlan.bubblewrap(bwrap: "/usr/bin/bwrap", prlimit: "/usr/bin/prlimit", setpriv: nil, sizedTmpfs: true)
      let found = try #require(SwiftModuleRunner.compileLimit(c.report, limits: .default, plan: plan))
      #expect(found.sentence == c.sentence)
      #expect(found.infrastructure == c.infrastructure)
      #expect(SwiftModuleRunner.compileLimit(Self.report(.exited(1), stderr: "Solution.swift:3:1: error: x"), limits: .default, plan: plan) == nil)
    }
  }
}
