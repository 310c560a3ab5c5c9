import Foundation
import Testing
import Grader

/// A class of 30 array submissions for rnn-bptt, made with `grade reference` and mutated here:
///
/// ```
/// ok-json-00…09, ok-npz-00…09   the reference at the student's inputs           19 points
/// wrong-00…03                   item k scaled by 1.5                            19 − its points
/// missing-00, missing-01        item 3 + k removed                              19 − its points
/// near-00                       dW_h × (1 + 3·10⁻⁴): outside the relative       16
///                               tolerance 10⁻⁵, inside 10⁻³
/// bad-text, bad-npz, bad-empty  not JSON, half an .npz, an empty folder         0 (unreadable)
/// ```
/// Every student is graded by a worker script (GRADE_BATCH_WORKER) that appends the student's id
/// to `$GRADE_TEST_COUNTER` (when set) — how a test counts the gradings a run started — and,
/// for the student named by `$GRADE_TEST_HANG`, waits until the file `$GRADE_TEST_RELEASE`
/// exists (so that a test can kill a batch at a known point).
struct ShardClass {
  let root: URL
  let submissions: URL
  let worker: URL
  let rubric: Rubric
  let items: [String]
  /// Every student's score under the shipped rubric.
  let expected: [String: Double]
  /// The item each broken-but-readable student got wrong or left out.
  let broken: [String: String]

  static func make() throws -> ShardClass {
    let root = temporaryDirectory()
    let dir = root.appendingPathComponent("submissions")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let (assignment, rubric) = try AssignmentCatalog(root: GradeBinary.packageRoot.appendingPathComponent("Assignments")).load("rnn-bptt")
    let items = assignment.items.map(\.id)
    let full = rubric.maxScore
    var expected: [String: Double] = [:]
    var broken: [String: String] = [:]
    func reference(_ student: String, ext: String) throws -> URL {
      let url = dir.appendingPathComponent("\(student).\(ext)")
      let r = try GradeBinary.run(["reference", "rnn-bptt", "--student", student, "--out", url.path, "--key-file", GradeBinary.keyFile.path])
      precondition(r.status == 0, r.stderr)
      return url
    }
    func mutate(_ url: URL, _ change: (inout [String: Any]) -> Void) throws {
      var object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
      change(&object)
      try JSONSerialization.data(withJSONObject: object).write(to: url)
    }
    func scale(_ item: String, by factor: Double) -> (inout [String: Any]) -> Void {
      { object in
        var entry = object[item] as! [String: Any]
        entry["data"] = (entry["data"] as! [Double]).map { $0 * factor }
        object[item] = entry
      }
    }
    for k in 0..<10 {
      for (prefix, ext) in [("ok-json", "json"), ("ok-npz", "npz")] {
        let student = String(format: "\(prefix)-%02d", k)
        _ = try reference(student, ext: ext)
        expected[student] = full
      }
    }
    for k in 0..<4 {
      let student = String(format: "wrong-%02d", k), item = items[k]
      try mutate(try reference(student, ext: "json"), scale(item, by: 1.5))
      expected[student] = full - rubric.entry(item).points
      broken[student] = item
    }
    for k in 0..<2 {
      let student = String(format: "missing-%02d", k), item = items[3 + k]
      try mutate(try reference(student, ext: "json")) { $0[item] = nil }
      expected[student] = full - rubric.entry(item).points
      broken[student] = item
    }
    try mutate(try reference("near-00", ext: "json"), scale("dW_h", by: 1 + 3e-4))
    expected["near-00"] = full - rubric.entry("dW_h").points
    broken["near-00"] = "dW_h"
    try Data("this is not JSON".utf8).write(to: dir.appendingPathComponent("bad-text.json"))
    let npz = try Data(contentsOf: try reference("bad-npz", ext: "npz"))
    try npz.prefix(npz.count / 2).write(to: dir.appendingPathComponent("bad-npz.npz"))
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("bad-empty"), withIntermediateDirectories: true)
    for student in ["bad-text", "bad-npz", "bad-empty"] { expected[student] = 0 }

    let worker = root.appendingPathComponent("worker.sh")
    try """
      #!/bin/bash
      # Arguments: check <assignment> <submission> --student <id> …
      if [ -n "${GRADE_TEST_COUNTER:-}" ]; then echo "$5" >> "$GRADE_TEST_COUNTER"; fi
      if [ -n "${GRADE_TEST_HANG:-}" ] && [ "$5" = "$GRADE_TEST_HANG" ]; then
        while [ ! -e "$GRADE_TEST_RELEASE" ]; do sleep 0.05; done
      fi
      exec "\(GradeBinary.url.path)" "$@"
      """.write(to: worker, atomically: true, encoding: .utf8)
    chmod(worker.path, 0o755)
    return ShardClass(root: root, submissions: dir, worker: worker, rubric: rubric, items: items, expected: expected, broken: broken)
  }

  var students: [String] { expected.keys.sorted() }

  /// `grade batch` of the class into `out`, with `extra` options.
  @discardableResult
  func batch(_ out: URL, _ extra: [String] = [], environment: [String: String] = [:]) throws -> GradeBinary.Output {
    var env = environment
    env["GRADE_BATCH_WORKER"] = worker.path
    return try GradeBinary.run(["batch", "rnn-bptt", submissions.path, "--out", out.path, "--jobs", "2", "--key-file", GradeBinary.keyFile.path,
                                "--quiet", "--no-timing"] + extra, environment: env)
  }

  /// Every file under `folder` (not dot files), by relative path.
  static func files(_ folder: URL) throws -> [String: Data] {
    var files: [String: Data] = [:]
    for path in try FileManager.default.subpathsOfDirectory(atPath: folder.path) where !path.split(separator: "/").contains(where: { $0.hasPrefix(".") }) {
      var isFolder: ObjCBool = false
      if FileManager.default.fileExists(atPath: folder.appendingPathComponent(path).path, isDirectory: &isFolder), !isFolder.boolValue {
        files[path] = try Data(contentsOf: folder.appendingPathComponent(path))
      }
    }
    return files
  }

  /// The files a class's outcome is: the gradebook, the summaries and every feedback file.
  static func classFiles(_ folder: URL) throws -> [String: Data] {
    try files(folder).filter { $0.key == "gradebook.csv" || $0.key.hasPrefix("summary.") || $0.key.hasPrefix("feedback/") }
  }
}

@Suite("grade batch --shard and grade merge, end to end", .serialized)
struct ShardBatchTests {
  static let theClass = Result { try ShardClass.make() }

  /// The class graded once unsharded and once as 7 shards (shard folders `seven/shard-i`).
  struct Graded {
    var one: URL
    var seven: [URL]
  }

  static let graded = Result { () throws -> Graded in
    let c = try theClass.get()
    let one = c.root.appendingPathComponent("one")
    let r = try c.batch(one)
    precondition(r.status == 0, "\(r.stdout)\(r.stderr)")
    let seven = (0..<7).map { c.root.appendingPathComponent("seven/shard-\($0)") }
    for (i, out) in seven.enumerated() {
      let s = try c.batch(out, ["--shard", "\(i)/7"])
      precondition(s.status == 0, "\(s.stdout)\(s.stderr)")
    }
    return Graded(one: one, seven: seven)
  }

  static func merge(_ shards: [URL], out: URL, _ extra: [String] = []) throws -> GradeBinary.Output {
    try GradeBinary.run(["merge"] + shards.map(\.path) + ["--out", out.path] + extra)
  }

  @Test("1 shard, 7 shards merged, and 7 shards with one killed and run again write the same gradebook, summaries and feedback, byte for byte")
  func sameBytes() throws {
    let c = try Self.theClass.get()
    let g = try Self.graded.get()
    let expected = try ShardClass.classFiles(g.one)
    #expect(expected.count == 3 + 2 * 30, "\(expected.keys.sorted())")
    #expect(try BatchTests.gradebook(g.one) == c.expected)

    // A shard's folder: its students' results and feedback, and its manifest; no gradebook.
    var union: [String] = []
    for (i, folder) in g.seven.enumerated() {
      let manifest = try BatchManifest.read(folder)
      #expect(manifest.shard == BatchManifest.Shard(index: i, count: 7) && manifest.complete)
      #expect(manifest.students == c.students.filter { BatchShard.of($0, count: 7) == i })
      #expect(manifest.roster == BatchManifest.Roster(c.students))
      #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("gradebook.csv").path))
      let results = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("results").path).filter { !$0.hasPrefix(".") }
      #expect(results.sorted() == manifest.students.map { "\($0).json" })
      union += manifest.students
    }
    #expect(union.sorted() == c.students)

    let merged = c.root.appendingPathComponent("seven-merged")
    let m = try Self.merge(g.seven, out: merged)
    #expect(m.status == 0, "\(m.stderr)")
    #expect(m.stdout.contains("Merged 7 shards of rnn-bptt: 30 students."), "\(m.stdout)")
    #expect(try ShardClass.classFiles(merged) == expected)
    // Everything else too: results, logs, the manifest.
    #expect(try ShardClass.files(merged) == ShardClass.files(g.one))

    // Seven shards again, the largest killed after its first student and run again.
    let again = (0..<7).map { c.root.appendingPathComponent("killed/shard-\($0)") }
    let sizes = (0..<7).map { i in c.students.filter { BatchShard.of($0, count: 7) == i } }
    let k = (0..<7).max { sizes[$0].count < sizes[$1].count }!
    #expect(sizes[k].count >= 3)
    for i in 0..<7 where i != k {
      #expect(try c.batch(again[i], ["--shard", "\(i)/7"]).status == 0)
    }
    let release = c.root.appendingPathComponent("release-\(UUID().uuidString)")
    let process = Process()
    process.executableURL = GradeBinary.url
    process.arguments = ["batch", "rnn-bptt", c.submissions.path, "--out", again[k].path, "--jobs", "1", "--key-file", GradeBinary.keyFile.path,
                         "--quiet", "--no-timing", "--shard", "\(k)/7"]
    var env = ProcessInfo.processInfo.environment
    env["GRADE_BATCH_WORKER"] = c.worker.path
    env["GRADE_TEST_HANG"] = sizes[k][1]
    env["GRADE_TEST_RELEASE"] = release.path
    process.environment = env
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    // Its feedback is the last file a student's grading writes.
    let first = again[k].appendingPathComponent("feedback/\(sizes[k][0]).html")
    let deadline = Date().addingTimeInterval(120)
    while Date() < deadline && !FileManager.default.fileExists(atPath: first.path) { usleep(10_000) }
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
    try Data().write(to: release)   // the waiting worker goes on, and its grade exits: the batch is gone
    #expect(FileManager.default.fileExists(atPath: first.path), "the first student was graded before the kill")

    // Merging now is refused, naming the students without a result.
    let early = try Self.merge(again, out: c.root.appendingPathComponent("killed-merged-early"))
    #expect(early.status == 65)
    #expect(early.stderr.contains("Some shards are incomplete") && early.stderr.contains(again[k].path), "\(early.stderr)")
    for student in sizes[k].dropFirst() { #expect(early.stderr.contains(student), "\(student) in \(early.stderr)") }
    #expect(!early.stderr.contains(sizes[k][0] + ","), "\(early.stderr)")

    let resumed = try c.batch(again[k], ["--shard", "\(k)/7"])
    #expect(resumed.status == 0)
    #expect(resumed.stdout.contains("1 from an earlier run"), "\(resumed.stdout)")
    let killedMerged = c.root.appendingPathComponent("killed-merged")
    #expect(try Self.merge(again, out: killedMerged).status == 0)
    #expect(try ShardClass.classFiles(killedMerged) == expected)
    #expect(try ShardClass.files(killedMerged) == ShardClass.files(g.one))
  }

  @Test("grade merge refuses a missing shard, a shard given twice, other cuts and another rubric, naming the shards and students")
  func refusals() throws {
    let c = try Self.theClass.get()
    let g = try Self.graded.get()
    let out = c.root.appendingPathComponent("refused")
    func students(_ i: Int, of n: Int = 7) -> [String] { c.students.filter { BatchShard.of($0, count: n) == i } }

    let missing = try Self.merge(Array(g.seven.dropLast()), out: out)
    #expect(missing.status == 65)
    #expect(missing.stderr.contains("The set of shards is incomplete: shard 6 of 7 is missing"), "\(missing.stderr)")
    #expect(missing.stderr.contains("its \(students(6).count) student"), "\(missing.stderr)")
    for s in students(6) { #expect(missing.stderr.contains(s), "\(s) in \(missing.stderr)") }
    // Without the submissions folder at hand, the count and how to name them.
    let elsewhere = try Self.merge(Array(g.seven.dropLast()), out: out, ["--submissions", c.root.appendingPathComponent("nowhere").path])
    #expect(elsewhere.stderr.contains("\(students(6).count) student") && elsewhere.stderr.contains("give --submissions"), "\(elsewhere.stderr)")

    let twice = try Self.merge(g.seven + [g.seven[2]], out: out)
    #expect(twice.status == 65)
    #expect(twice.stderr.contains("Shard 2 of 7 is given twice"), "\(twice.stderr)")
    for s in students(2) { #expect(twice.stderr.contains(s), "\(s) in \(twice.stderr)") }

    // A shard of another cut overlaps these.
    let halves = c.root.appendingPathComponent("halves/shard-0")
    #expect(try c.batch(halves, ["--shard", "0/2"]).status == 0)
    let mixed = try Self.merge(g.seven + [halves], out: out)
    #expect(mixed.status == 65 && mixed.stderr.contains("differ in their shard count") && mixed.stderr.contains(halves.path), "\(mixed.stderr)")

    // A shard graded with another rubric.
    let rubricFile = c.root.appendingPathComponent("other-rubric.json")
    var rubric = try JSONSerialization.jsonObject(with: Data(contentsOf: GradeBinary.packageRoot.appendingPathComponent("Rubrics/rnn-bptt.json"))) as! [String: Any]
    var entries = rubric["items"] as! [String: Any]
    entries["loss"] = ["points": 2]
    rubric["items"] = entries
    try JSONSerialization.data(withJSONObject: rubric).write(to: rubricFile)
    let other = c.root.appendingPathComponent("other/shard-3")
    #expect(try c.batch(other, ["--shard", "3/7", "--rubric", rubricFile.path]).status == 0)
    var set = g.seven
    set[3] = other
    let otherRubric = try Self.merge(set, out: out)
    #expect(otherRubric.status == 65 && otherRubric.stderr.contains("differ in their rubric SHA-256") && otherRubric.stderr.contains(other.path), "\(otherRubric.stderr)")

    let notAShard = try Self.merge([c.submissions], out: out)
    #expect(notAShard.status == 65 && notAShard.stderr.contains("holds no batch.json"), "\(notAShard.stderr)")
    #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("gradebook.csv").path), "nothing merged")
  }

  @Test("--shard usage errors: an index out of range, auto without an index, a malformed value")
  func usage() throws {
    let c = try Self.theClass.get()
    let out = c.root.appendingPathComponent("usage").path
    let range = try c.batch(URL(fileURLWithPath: out), ["--shard", "7/7"])
    #expect(range.status == 64 && range.stderr.contains("numbered 0 to 6"), "\(range.stderr)")
    let auto = try c.batch(URL(fileURLWithPath: out), ["--shard", "auto/7"], environment: ["JOB_COMPLETION_INDEX": "", "SLURM_ARRAY_TASK_ID": ""])
    #expect(auto.status == 64 && auto.stderr.contains("JOB_COMPLETION_INDEX") && auto.stderr.contains("neither is set"), "\(auto.stderr)")
    let fromKubernetes = try c.batch(c.root.appendingPathComponent("k8s"), ["--shard", "auto/7"], environment: ["JOB_COMPLETION_INDEX": "4"])
    #expect(fromKubernetes.status == 0 && fromKubernetes.stdout.contains("(shard 4 of 7, of 30 in the roster)"), "\(fromKubernetes.stdout)")
    let bad = try c.batch(URL(fileURLWithPath: out), ["--shard", "half"])
    #expect(bad.status == 64 && bad.stderr.contains("expected i/N"), "\(bad.stderr)")
  }
}
