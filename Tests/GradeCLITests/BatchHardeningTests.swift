import Foundation
import Testing
import Grader

/// A batch where students try to harm each other or the grader, and where the grader's own
/// infrastructure fails: honest students keep their marks, nothing the grader could not conclude
/// becomes a score, and two batches never share an output folder.
@Suite("grade batch under attack and failure", .serialized)
struct BatchHardeningTests {
  static var rubric: Rubric {
    get throws { try AssignmentCatalog(root: GradeBinary.packageRoot.appendingPathComponent("Assignments")).load("rnn-bptt").1 }
  }

  static func rows(_ out: URL) throws -> [String: [String]] {
    let text = try String(contentsOf: out.appendingPathComponent("gradebook.csv"), encoding: .utf8)
    var rows: [String: [String]] = [:]
    for line in text.split(separator: "\n").dropFirst() {
      let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
      rows[fields[0]] = fields
    }
    return rows
  }

  static func batch(_ submissions: URL, out: URL, extra: [String] = [], environment: [String: String] = [:]) throws -> GradeBinary.Output {
    try GradeBinary.run(["batch", "rnn-bptt", submissions.path, "--out", out.path, "--jobs", "2", "--key-file", GradeBinary.keyFile.path, "--quiet"] + extra,
                        environment: environment)
  }

  @Test("a disk filler, a huge result, a link to a classmate's file: the six honest students beside them get full marks")
  func honestStudentsKeepTheirMarks() throws {
    guard SwiftSubmissionTests.hasSwiftc else { print("skipped: swiftc is not available"); return }
    let root = temporaryDirectory()
    let submissions = root.appendingPathComponent("submissions")
    try FileManager.default.createDirectory(at: submissions, withIntermediateDirectories: true)
    let worked = SwiftSubmissionTests.assignment("rnn-bptt").appendingPathComponent("examples/swift-solution")
    let honest = (1...6).map { "honest-\($0)" }
    for student in honest {
      try FileManager.default.copyItem(at: worked, to: submissions.appendingPathComponent(student))
    }
    // Writes 1 MiB at a time wherever it can, until a write fails or it is stopped, then answers.
    let filler = """
      let chunk = [UInt8](repeating: 1, count: 1 << 20)
        var n = 0
        fill: while n < 100_000 {
          for (k, directory) in [".", "/tmp"].enumerated() {
            guard let file = fopen("\\(directory)/fill-\\(k)-\\(n)", "wb") else { continue }
            for _ in 0..<4 where fwrite(chunk, 1, chunk.count, file) != chunk.count || fflush(file) != 0 { fclose(file); break fill }
            if fclose(file) != 0 { break fill }
          }
          n += 1
        }
        return __unused_loss(p)
      """
    _ = try SwiftSubmissionTests.brokenSolution(replacing: "loss", with: filler, in: submissions.appendingPathComponent("filler"))
    // Sends a frame declaring a 2⁶²×2⁶²×16 value, and exits before the harness answers.
    let huge = """
      let body = "grading-result 1 dU\\nvalue 3 4611686018427387904 4611686018427387904 16\\n"
        let frame = "result 0 \\(body.utf8.count)\\n" + body
        _ = frame.withCString { write(3, $0, strlen($0)) }
        exit(0)
      """
    _ = try SwiftSubmissionTests.brokenSolution(replacing: "dU", with: huge, in: submissions.appendingPathComponent("huge"))
    // A folder whose Solution.swift is a classmate's, and an entry that is a classmate's folder.
    let linked = submissions.appendingPathComponent("linked")
    try FileManager.default.createDirectory(at: linked, withIntermediateDirectories: true)
    try FileManager.default.createSymbolicLink(at: linked.appendingPathComponent("Solution.swift"),
                                               withDestinationURL: submissions.appendingPathComponent("honest-1/Solution.swift"))
    try FileManager.default.createSymbolicLink(at: submissions.appendingPathComponent("alias"), withDestinationURL: submissions.appendingPathComponent("honest-2"))

    let out = root.appendingPathComponent("graded")
    let start = Date()
    let r = try Self.batch(submissions, out: out)
    let elapsed = Date().timeIntervalSince(start)
    #expect(r.status == 0, "every student graded, whatever their scores: \(r.stdout)\(r.stderr)")
    let rows = try Self.rows(out)
    let rubric = try Self.rubric
    let full = ItemResult.points(rubric.maxScore)
    for student in honest {
      #expect(rows[student]?[1] == full && rows[student]?[3] == "graded", "\(student): \(rows[student] ?? [])")
    }
    // The filler either finished within its 64 MiB or was stopped for passing it: loss at most.
    let fillerScore = Double(rows["filler"]?[1] ?? "") ?? -1
    #expect(fillerScore == rubric.maxScore || fillerScore == rubric.maxScore - rubric.entry("loss").points, "\(rows["filler"] ?? [])")
    // The huge value is refused, unread; only dU is lost.
    #expect(Double(rows["huge"]?[1] ?? "") == rubric.maxScore - rubric.entry("dU").points, "\(rows["huge"] ?? [])")
    let hugeFeedback = try String(contentsOf: out.appendingPathComponent("feedback/huge.md"), encoding: .utf8)
    #expect(hugeFeedback.contains("declared a value of shape 4611686018427387904×4611686018427387904×16"), "\(hugeFeedback)")
    // Links to classmates' work are unreadable, never graded as theirs.
    for student in ["linked", "alias"] {
      #expect(rows[student]?[1] == "0" && rows[student]?[3] == "unreadable", "\(student): \(rows[student] ?? [])")
    }
    let linkedFeedback = try String(contentsOf: out.appendingPathComponent("feedback/linked.md"), encoding: .utf8)
    #expect(linkedFeedback.contains("Solution.swift is a symbolic link to"), "\(linkedFeedback)")
    let aliasFeedback = try String(contentsOf: out.appendingPathComponent("feedback/alias.md"), encoding: .utf8)
    #expect(aliasFeedback.contains("alias is a symbolic link to"), "\(aliasFeedback)")
    print("figures: 10 submissions (8 compiled), 2 at a time, in \(String(format: "%.1f", elapsed)) s")
  }

  @Test("a detached setsid grandchild holding the child's stderr does not stall the batch past its timeout")
  func detachedGrandchildDoesNotStall() throws {
    let root = temporaryDirectory()
    let submissions = root.appendingPathComponent("submissions")
    try FileManager.default.createDirectory(at: submissions, withIntermediateDirectories: true)
    for student in ["dee", "eve"] {
      let made = try GradeBinary.run(["reference", "rnn-bptt", "--student", student, "--out", submissions.appendingPathComponent("\(student).json").path,
                                      "--key-file", GradeBinary.keyFile.path])
      #expect(made.status == 0, "\(made.stderr)")
    }
    let pids = root.appendingPathComponent("pids")
    let worker = root.appendingPathComponent("worker.sh")
    try """
      #!/bin/bash
      setsid sleep 120 &
      echo $! >> '\(pids.path)'
      exec "\(GradeBinary.url.path)" "$@"
      """.write(to: worker, atomically: true, encoding: .utf8)
    chmod(worker.path, 0o755)
    defer {
      for line in ((try? String(contentsOf: pids, encoding: .utf8)) ?? "").split(separator: "\n") {
        if let pid = pid_t(line) { kill(pid, SIGKILL) }
      }
    }
    let temporary = root.appendingPathComponent("tmp")
    try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
    let start = Date()
    let r = try Self.batch(submissions, out: root.appendingPathComponent("graded"), extra: ["--timeout", "60"],
                           environment: ["GRADE_BATCH_WORKER": worker.path, "TMPDIR": temporary.path])
    let elapsed = Date().timeIntervalSince(start)
    #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
    // Every child's scratch folder is gone.
    #expect(try FileManager.default.contentsOfDirectory(atPath: temporary.path).isEmpty)
    #expect(elapsed < 50, "the batch took \(elapsed) s: it waited on the grandchild")
    let rows = try Self.rows(root.appendingPathComponent("graded"))
    #expect(rows["dee"]?[3] == "graded" && rows["eve"]?[3] == "graded")
    print("figures: a batch of 2 with a 120 s grandchild each, --timeout 60, in \(String(format: "%.1f", elapsed)) s")
  }

  @Test("a second batch on the same --out is refused, naming the first's pid")
  func secondBatchIsRefused() throws {
    let root = temporaryDirectory()
    let submissions = root.appendingPathComponent("submissions")
    try FileManager.default.createDirectory(at: submissions, withIntermediateDirectories: true)
    let made = try GradeBinary.run(["reference", "rnn-bptt", "--student", "fay", "--out", submissions.appendingPathComponent("fay.json").path,
                                    "--key-file", GradeBinary.keyFile.path])
    #expect(made.status == 0)
    let worker = root.appendingPathComponent("slow.sh")
    try "#!/bin/bash\nsleep 8\nexec \"\(GradeBinary.url.path)\" \"$@\"\n".write(to: worker, atomically: true, encoding: .utf8)
    chmod(worker.path, 0o755)
    let out = root.appendingPathComponent("graded")
    let first = Process()
    first.executableURL = GradeBinary.url
    first.arguments = ["batch", "rnn-bptt", submissions.path, "--out", out.path, "--jobs", "1", "--key-file", GradeBinary.keyFile.path, "--quiet"]
    var environment = ProcessInfo.processInfo.environment
    environment["GRADE_BATCH_WORKER"] = worker.path
    first.environment = environment
    first.standardOutput = FileHandle.nullDevice
    first.standardError = FileHandle.nullDevice
    try first.run()
    let lock = out.appendingPathComponent(".grade-batch.lock")
    let deadline = Date().addingTimeInterval(30)
    while Date() < deadline && ((try? String(contentsOf: lock, encoding: .utf8)) ?? "").isEmpty { usleep(10_000) }
    let second = try Self.batch(submissions, out: out)
    first.waitUntilExit()
    #expect(second.status == 65, "\(second.stdout)\(second.stderr)")
    #expect(second.stderr.contains("Another batch (pid \(first.processIdentifier)) is writing to \(out.path)"), "\(second.stderr)")
    #expect(first.terminationStatus == 0)
    #expect(try Self.rows(out)["fay"]?[3] == "graded")
    // Once the first is done, the folder is free again.
    let third = try Self.batch(submissions, out: out)
    #expect(third.status == 0 && third.stdout.contains("(0 now, 1 from an earlier run"), "\(third.stdout)\(third.stderr)")
  }

  static let canMount: Bool = getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare")

  @Test("a full disk is not a grade: exit 75 from check, not-graded in the batch, graded when run again")
  func fullDiskIsNotAGrade() throws {
    guard Self.canMount else { print("skipped: needs root and unshare to mount a full file system"); return }
    let root = temporaryDirectory()
    let submissions = root.appendingPathComponent("submissions")
    try FileManager.default.createDirectory(at: submissions, withIntermediateDirectories: true)
    let made = try GradeBinary.run(["reference", "rnn-bptt", "--student", "gus", "--out", submissions.appendingPathComponent("gus.json").path,
                                    "--key-file", GradeBinary.keyFile.path])
    #expect(made.status == 0)

    // grade check writing its record into a 4 KiB file system (in a private mount namespace).
    let full = root.appendingPathComponent("full")
    try FileManager.default.createDirectory(at: full, withIntermediateDirectories: true)
    let check = Process()
    check.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
    check.arguments = ["--mount", "--propagation", "private", "--", "/bin/sh", "-c",
                       "mount -t tmpfs -o size=4k full \"$1\" || exit 99; shift; \"$@\"; status=$?; ls -A \"$0\" >&2; exit $status",
                       full.path, full.path, GradeBinary.url.path, "check", "rnn-bptt", submissions.appendingPathComponent("gus.json").path,
                       "--student", "gus", "--format", "record", "--out", full.appendingPathComponent("gus.json").path]
    check.currentDirectoryURL = GradeBinary.packageRoot
    let err = Pipe()
    check.standardOutput = FileHandle.nullDevice
    check.standardError = err
    try check.run()
    let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    check.waitUntilExit()
    #expect(check.terminationStatus == 75, "\(stderr)")
    #expect(stderr.contains("No space left on device"), "\(stderr)")
    #expect(!stderr.contains("NSCocoaErrorDomain"), "a sentence, not a raw error: \(stderr)")
    #expect(!stderr.contains(".tmp"), "a temporary file was left: \(stderr)")

    // In a batch: the child's results folder is full the first time only.
    let marker = root.appendingPathComponent("disk-was-full")
    let worker = root.appendingPathComponent("full-once.sh")
    try """
      #!/bin/bash
      # Arguments: check <assignment> <submission> --student <id> --format record --out <record> …
      if [ ! -e '\(marker.path)' ]; then
        touch '\(marker.path)'
        results=$(dirname "$9")
        exec unshare --mount --propagation private -- /bin/sh -c 'mount -t tmpfs -o size=4k full "$0" && exec "$@"' "$results" "\(GradeBinary.url.path)" "$@"
      fi
      exec "\(GradeBinary.url.path)" "$@"
      """.write(to: worker, atomically: true, encoding: .utf8)
    chmod(worker.path, 0o755)
    let out = root.appendingPathComponent("graded")
    let first = try Self.batch(submissions, out: out, environment: ["GRADE_BATCH_WORKER": worker.path])
    #expect(first.status == 1, "\(first.stdout)\(first.stderr)")
    let row = try #require(try Self.rows(out)["gus"])
    #expect(row[1].isEmpty && row[3] == "not-graded", "no score, not a 0: \(row)")
    let feedback = try String(contentsOf: out.appendingPathComponent("feedback/gus.md"), encoding: .utf8)
    #expect(feedback.contains("not graded (infrastructure)") && feedback.contains("No space left on device"), "\(feedback)")
    let summary = try String(contentsOf: out.appendingPathComponent("summary.md"), encoding: .utf8)
    #expect(summary.contains("**Not graded**"), "\(summary)")

    let second = try Self.batch(submissions, out: out, environment: ["GRADE_BATCH_WORKER": worker.path])
    #expect(second.status == 0 && second.stdout.contains("(1 now, 0 from an earlier run"), "\(second.stdout)\(second.stderr)")
    let regraded = try #require(try Self.rows(out)["gus"])
    #expect(regraded[1] == ItemResult.points(try Self.rubric.maxScore) && regraded[3] == "graded", "\(regraded)")
    let leftovers = try FileManager.default.subpathsOfDirectory(atPath: out.path).filter { $0.hasSuffix(".tmp") || $0.contains(".work") }
    #expect(leftovers.isEmpty, "\(leftovers)")
  }
}
