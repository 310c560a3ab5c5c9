import Foundation
import Testing
import Grader

/// What `grade check` keeps from a student's code, end to end: the grader's descriptors, its
/// binary and its harness cache (also when the grader is not root), and entries of the
/// submission that are not the student's own regular files.
@Suite("Isolation of student code, end to end", .serialized)
struct IsolationCLITests {
  static let isolations = ["bubblewrap", "rlimits"]

  @Test("a descriptor open in the shell that starts grade check is not the student's to write", arguments: isolations)
  func shellDescriptorDoesNotLeak(isolation: String) throws {
    guard SwiftSubmissionTests.hasSwiftc else { print("skipped: swiftc is not available"); return }
    let dir = temporaryDirectory()
    let target = dir.appendingPathComponent("outside.txt")
    let body = """
      for fd in Int32(4)..<1024 { _ = write(fd, "pwned\\n", 6) }
        return __unused_loss(p)
      """
    let code = try SwiftSubmissionTests.brokenSolution(replacing: "loss", with: body, in: dir.appendingPathComponent("writer"))
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", "exec 7>\"$1\"; shift; exec \"$@\"", "sh", target.path,
                         GradeBinary.url.path, "check", "rnn-bptt", code.path, "--student", "fd-1", "--isolation", isolation]
    process.currentDirectoryURL = GradeBinary.packageRoot
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "the writes changed nothing, so every item passes")
    #expect(try Data(contentsOf: target).isEmpty, "the student's code wrote into the shell's descriptor 7")
  }

  @Test("a FIFO or a link to /dev/zero in the submission is refused at once with its name (exit 65)")
  func fifoAndDeviceLinksAreRefused() throws {
    let dir = temporaryDirectory()
    let fifoFolder = dir.appendingPathComponent("fifo")
    try FileManager.default.createDirectory(at: fifoFolder, withIntermediateDirectories: true)
    #expect(mkfifo(fifoFolder.appendingPathComponent("answers.json").path, 0o644) == 0)
    let start = Date()
    let fifo = try GradeBinary.run(["check", "rnn-bptt", fifoFolder.path, "--student", "f-1"])
    #expect(fifo.status == 65)
    #expect(fifo.stderr.contains("answers.json is a FIFO (named pipe), not a regular file"), "\(fifo.stderr)")

    let zero = dir.appendingPathComponent("zero")
    try FileManager.default.createDirectory(at: zero, withIntermediateDirectories: true)
    try FileManager.default.copyItem(at: SwiftSubmissionTests.assignment("rnn-bptt").appendingPathComponent("examples/swift-solution/Solution.swift"),
                                     to: zero.appendingPathComponent("Solution.swift"))
    try FileManager.default.createSymbolicLink(atPath: zero.appendingPathComponent("Zero.swift").path, withDestinationPath: "/dev/zero")
    let device = try GradeBinary.run(["check", "rnn-bptt", zero.path, "--student", "f-1"])
    #expect(device.status == 65)
    #expect(device.stderr.contains("Zero.swift is a symbolic link to /dev/zero, outside the submission"), "\(device.stderr)")
    #expect(Date().timeIntervalSince(start) < 30)
  }

  /// The live (not zombie) processes whose real uid is `uid`, from /proc.
  static func processes(ofUID uid: UInt32) -> [pid_t] {
    ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { entry in
      guard let pid = pid_t(entry), let status = try? String(contentsOfFile: "/proc/\(entry)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Uid:") }),
            line.split(separator: "\t").dropFirst().first.flatMap({ UInt32($0) }) == uid,
            !status.contains("State:\tZ") else { return nil }
      return pid
    }
  }

  /// The live processes whose real uid is one of the item uids of the grading process `pid`
  /// (`UnprivilegedIDs`: 1 900 000 000 + (pid mod 20 000)·4096 + a counter), the compiler's
  /// included; with `named`, only those whose command is that. Each with its parent's pid.
  static func itemProcesses(ofGrader pid: pid_t, named: String? = nil) -> [(pid: pid_t, parent: pid_t)] {
    let uids = (1_900_000_000 + UInt32(pid % 20_000) * 4096)...(1_900_000_000 + UInt32(pid % 20_000) * 4096 + 4095)
    return ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { entry in
      guard let child = pid_t(entry), let status = try? String(contentsOfFile: "/proc/\(entry)/status", encoding: .utf8) else { return nil }
      let lines = status.split(separator: "\n")
      func field(_ name: String) -> Substring? { lines.first(where: { $0.hasPrefix(name + ":") }).flatMap { $0.split(separator: "\t").dropFirst().first } }
      guard let uid = field("Uid").flatMap({ UInt32($0) }), uids.contains(uid), field("State")?.hasPrefix("Z") != true,
            let parent = field("PPid").flatMap({ pid_t($0) }) else { return nil }
      if let named, field("Name") != Substring(named) { return nil }
      return (child, parent)
    }
  }

  /// Whether an item process `named` runs beside a child of its own (its daemon): both alive at
  /// once, whatever other item processes start and end around them.
  static func itemRunsWithItsChild(ofGrader pid: pid_t, named: String) -> Bool {
    let running = itemProcesses(ofGrader: pid, named: named)
    return running.contains { process in running.contains { $0.pid == process.parent } }
  }

  @Test("a grader stopped by SIGTERM (a batch's timeout, a Ctrl-C) takes its items' processes with it", arguments: isolations)
  func stoppedGraderLeavesNoItem(isolation: String) throws {
    guard SwiftSubmissionTests.hasSwiftc, getuid() == 0 else { print("skipped: needs swiftc and root (item uids)"); return }
    let body = """
      if fork() == 0 { _ = setsid(); sleep(300); exit(0) }
        sleep(300)
        return nil
      """
    let code = try SwiftSubmissionTests.brokenSolution(replacing: "loss", with: body, in: temporaryDirectory().appendingPathComponent("sleeper"))
    let temporary = temporaryDirectory()
    _ = chmod(temporary.path, 0o755)
    let process = Process()
    process.executableURL = GradeBinary.url
    process.arguments = ["check", "rnn-bptt", code.path, "--student", "st-1", "--isolation", isolation, "--timeout", "60"]
    process.currentDirectoryURL = GradeBinary.packageRoot
    var environment = ProcessInfo.processInfo.environment
    environment["GRADE_SCRATCH_DIR"] = temporary.path
    process.environment = environment
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    // The item (its binary is `student`) and its daemon, its own child, are running: on a loaded
    // machine the compile before it can take minutes, so the wait is long (it ends as soon as
    // both run). The other items' short runs of `student` start and end meanwhile: they are not
    // counted, the item is known by its child.
    let deadline = Date().addingTimeInterval(600)
    while Date() < deadline && !Self.itemRunsWithItsChild(ofGrader: process.processIdentifier, named: "student") { usleep(50_000) }
    #expect(Self.itemRunsWithItsChild(ofGrader: process.processIdentifier, named: "student"), "the item and its daemon were running")
    kill(process.processIdentifier, SIGTERM)
    process.waitUntilExit()
    // It dies of the signal (a grading thread about to start a child meanwhile waits for that end).
    #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGTERM,
            "\(process.terminationReason) \(process.terminationStatus)")
    let left = Self.itemProcesses(ofGrader: process.processIdentifier).map(\.pid)
    #expect(left.isEmpty, "processes of the stopped grader's items: \(left)")
    for pid in left { kill(pid, SIGKILL) }
    // Nor does it leave its temporary directory.
    let workspaces = ((try? FileManager.default.contentsOfDirectory(atPath: temporary.path)) ?? []).filter { $0.hasPrefix("swift-submission-") }
    #expect(workspaces.isEmpty, "\(workspaces)")
  }

  /// A uid no account uses, for running `grade` as a user other than root.
  static let unprivileged: UInt32 = 4_242_424

  static let canDropRoot: Bool = getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")

  /// Runs the built `grade` as `unprivileged` with its own TMPDIR and HOME.
  static func runUnprivileged(_ arguments: [String], temporary: URL) throws -> GradeBinary.Output {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
    process.arguments = ["--reuid=\(unprivileged)", "--regid=\(unprivileged)", "--clear-groups", "--",
                         GradeBinary.url.path] + arguments + ["--assignments", GradeBinary.packageRoot.appendingPathComponent("Assignments").path]
    var environment = ProcessInfo.processInfo.environment
    environment["TMPDIR"] = temporary.path
    environment["HOME"] = temporary.path
    environment["NO_COLOR"] = "1"
    process.environment = environment
    process.currentDirectoryURL = temporary
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return GradeBinary.Output(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                              stderr: String(decoding: errData, as: UTF8.self))
  }

  @Test("not root, rlimits: a student cannot run the grader through /proc, and one who overwrites the harness cache does not break the next")
  func nonRootStudentCannotReachTheGrader() throws {
    guard SwiftSubmissionTests.hasSwiftc, Self.canDropRoot else { print("skipped: needs root and setpriv to run as another user"); return }
    let temporary = temporaryDirectory().appendingPathComponent("unprivileged")
    try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
    #expect(chown(temporary.path, Self.unprivileged, Self.unprivileged) == 0)
    #expect(chmod(temporary.deletingLastPathComponent().path, 0o755) == 0)
    let harness = temporary.appendingPathComponent("swift-grading-harness-\(Self.unprivileged)").path
    // The student runs the parent's executable, overwrites every file of the harness cache it
    // can reach, and leaves a daemon; only then does it answer.
    let body = """
      let reached: String = {
          guard let pipe = popen("/proc/\\(getppid())/exe --version 2>&1", "r") else { return "" }
          var buffer = [CChar](repeating: 0, count: 256)
          let line = fgets(&buffer, 256, pipe).map { String(cString: $0) } ?? ""
          pclose(pipe)
          return line
        }()
        if reached.contains("grade 1.0.0") { fatalError("reached the grader: \\(reached)") }
        for path in FileManager.default.subpaths(atPath: "\(harness)") ?? [] where path.hasSuffix(".a") || path.hasSuffix(".swiftmodule") {
          FileManager.default.createFile(atPath: "\(harness)/" + path, contents: Data("overwritten".utf8))
        }
        if fork() == 0 { _ = setsid(); if fork() == 0 { sleep(300) }; exit(0) }
        return __unused_loss(p)
      """
    let folder = temporaryDirectory()
    #expect(chmod(folder.path, 0o755) == 0)
    let hostile = try SwiftSubmissionTests.brokenSolution(replacing: "loss", with: body, in: folder.appendingPathComponent("hostile"))
    let honest = folder.appendingPathComponent("honest")
    try FileManager.default.copyItem(at: SwiftSubmissionTests.assignment("rnn-bptt").appendingPathComponent("examples/swift-solution"), to: honest)
    for path in [hostile, honest] { _ = chmod(path.path, 0o755) }

    let first = try Self.runUnprivileged(["check", "rnn-bptt", hostile.path, "--student", "nr-1", "--isolation", "rlimits"], temporary: temporary)
    #expect(first.status == 0, "the cheat found nothing, so every item passes: \(first.stdout)\(first.stderr)")
    #expect(first.stdout.contains("rlimits (no file-system isolation: the grader is not root"), "\(first.stdout)")
    let overwritten = (FileManager.default.subpaths(atPath: harness) ?? []).filter { $0.hasSuffix(".a") }.contains { path in
      (try? Data(contentsOf: URL(fileURLWithPath: harness + "/" + path))) == Data("overwritten".utf8)
    }
    #expect(overwritten, "without root the student's code runs as the grader's user and can write the cache")
    if first.stdout.contains("own PID namespace") {
      // The PID namespace died with the item: nothing of this user is left.
      #expect(Self.processes(ofUID: Self.unprivileged).isEmpty)
    }
    let second = try Self.runUnprivileged(["check", "rnn-bptt", honest.path, "--student", "nr-2", "--isolation", "rlimits"], temporary: temporary)
    #expect(second.status == 0, "the next student compiles and passes whatever the first did to the cache (overwritten: \(overwritten)): \(second.stdout)\(second.stderr)")
    #expect(second.stdout.contains("score 19/19"))
    for pid in Self.processes(ofUID: Self.unprivileged) { kill(pid, SIGKILL) }
  }
}
