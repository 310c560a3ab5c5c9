import Foundation
import Testing
import Grader

@Suite("grade regrade, end to end", .serialized)
struct RegradeTests {
  /// The shipped rubric of rnn-bptt as a JSON object, changed by `change`, written to `url`.
  static func writeRubric(_ url: URL, _ change: (inout [String: [String: Any]]) -> Void) throws {
    var rubric = try JSONSerialization.jsonObject(with: Data(contentsOf: GradeBinary.packageRoot.appendingPathComponent("Rubrics/rnn-bptt.json"))) as! [String: Any]
    var items = rubric["items"] as! [String: [String: Any]]
    change(&items)
    rubric["items"] = items
    try JSONSerialization.data(withJSONObject: rubric, options: [.prettyPrinted, .sortedKeys]).write(to: url)
  }

  static func regrade(_ folder: URL, _ c: ShardClass, counter: URL, _ extra: [String] = []) throws -> GradeBinary.Output {
    try? FileManager.default.removeItem(at: counter)
    return try GradeBinary.run(["regrade", folder.path, "--key-file", GradeBinary.keyFile.path, "--jobs", "2", "--quiet", "--no-timing"] + extra,
                               environment: ["GRADE_BATCH_WORKER": c.worker.path, "GRADE_TEST_COUNTER": counter.path])
  }

  static func counted(_ counter: URL) -> [String] {
    ((try? String(contentsOf: counter, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init).sorted()
  }

  static func rows(_ csv: URL) throws -> [String: String] {
    let lines = try String(contentsOf: csv, encoding: .utf8).split(separator: "\n").dropFirst()
    return Dictionary(uniqueKeysWithValues: lines.map { (String($0.prefix { $0 != "," }), String($0)) })
  }

  @Test("a rubric change (one item's points, one tolerance): changes.csv is exactly the expected set, only the affected submissions run again, and the folder equals a fresh batch")
  func rubricChange() throws {
    let c = try ShardBatchTests.theClass.get()
    let root = temporaryDirectory()
    let rubric = root.appendingPathComponent("rubric.json")
    try Self.writeRubric(rubric) { _ in }
    let graded = root.appendingPathComponent("graded")
    let counter = root.appendingPathComponent("counter")
    let first = try GradeBinary.run(["batch", "rnn-bptt", c.submissions.path, "--out", graded.path, "--rubric", rubric.path, "--jobs", "2",
                                     "--key-file", GradeBinary.keyFile.path, "--quiet", "--no-timing"],
                                    environment: ["GRADE_BATCH_WORKER": c.worker.path, "GRADE_TEST_COUNTER": counter.path])
    #expect(first.status == 0, "\(first.stderr)")
    #expect(Self.counted(counter).count == 30)

    // Nothing changed: nothing runs, nothing is listed.
    let idle = try Self.regrade(graded, c, counter: counter)
    #expect(idle.status == 0, "\(idle.stderr)")
    #expect(idle.stdout.contains("0 run again, 0 re-scored, 30 unchanged, 0 kept; 0 in changes.csv"), "\(idle.stdout)")
    #expect(Self.counted(counter).isEmpty)
    #expect(try String(contentsOf: graded.appendingPathComponent("changes.csv"), encoding: .utf8) == Regrade.changesHeader + "\n")

    // dU is worth 3 instead of 2; dW_h's relative tolerance widens from 1e-5 to 1e-3.
    try Self.writeRubric(rubric) { items in
      items["dU"]!["points"] = 3
      items["dW_h"]!["tolerance"] = ["relative": 1e-3, "absolute": 1e-7]
    }
    let r = try Self.regrade(graded, c, counter: counter)
    #expect(r.status == 0, "\(r.stdout)\(r.stderr)")

    // Run again: the students with a failing item (its message names the tolerance, its
    // diagnosis weighs the other items). Re-scored without a run: everyone else.
    let failing = c.broken.filter { !$0.key.hasPrefix("missing") }.keys.sorted()
    #expect(failing == ["near-00", "wrong-00", "wrong-01", "wrong-02", "wrong-03"])
    #expect(Self.counted(counter) == failing)
    #expect(r.stdout.contains("\(failing.count) run again, \(30 - failing.count) re-scored, 0 unchanged, 0 kept"), "\(r.stdout)")

    // The expected changes, from the class's description: +1 for every passing dU, +3 for
    // near-00's dW_h (inside the wider tolerance); the unreadable and wrong-01 (its dU is
    // wrong) do not change.
    let reason = "rubric: points of dU; tolerance of dW_h"
    var expected: [String] = []
    for student in c.students {
      let old = c.expected[student]!
      guard old > 0, c.broken[student] != "dU" else { continue }
      let items = student == "near-00" ? "dU:2->3;dW_h:0->3" : "dU:2->3"
      let new = old + 1 + (student == "near-00" ? 3 : 0)
      expected.append("\(student),\(ItemResult.points(old)),\(ItemResult.points(new)),\(items),\(reason)")
    }
    let changes = try String(contentsOf: graded.appendingPathComponent("changes.csv"), encoding: .utf8)
    #expect(changes == ([Regrade.changesHeader] + expected).joined(separator: "\n") + "\n")
    #expect(expected.count == 26)

    // The regraded folder is what a fresh batch with the new rubric writes.
    let fresh = root.appendingPathComponent("fresh")
    #expect(try GradeBinary.run(["batch", "rnn-bptt", c.submissions.path, "--out", fresh.path, "--rubric", rubric.path, "--jobs", "2",
                                 "--key-file", GradeBinary.keyFile.path, "--quiet", "--no-timing"]).status == 0)
    let regraded = try ShardClass.classFiles(graded), again = try ShardClass.classFiles(fresh)
    #expect(regraded.keys.sorted() == again.keys.sorted())
    for (path, data) in again { #expect(regraded[path] == data, "\(path) differs from a fresh batch") }
    // And a second regrade has nothing left to do.
    let settled = try Self.regrade(graded, c, counter: counter)
    #expect(settled.stdout.contains("30 unchanged") && Self.counted(counter).isEmpty, "\(settled.stdout)")

    // A submission changed after grading is noticed by its hash: not graded from the new bytes,
    // not silently kept either.
    let tampered = c.root.appendingPathComponent("tampered")
    try FileManager.default.copyItem(at: c.submissions, to: tampered)
    let moved = root.appendingPathComponent("graded-tampered")
    try FileManager.default.copyItem(at: graded, to: moved)
    let wrong = tampered.appendingPathComponent("wrong-03.json")
    // Other bytes in wrong-03's file after grading (here another student's answers).
    try FileManager.default.removeItem(at: wrong)
    try FileManager.default.copyItem(at: tampered.appendingPathComponent("ok-json-03.json"), to: wrong)
    try Self.writeRubric(rubric) { items in
      items["dU"]!["points"] = 3
      items["dW_h"]!["tolerance"] = ["relative": 1e-3, "absolute": 1e-7]
      items["loss"]!["points"] = 2
    }
    let caught = try Self.regrade(moved, c, counter: counter, ["--submissions", tampered.path])
    #expect(caught.status == 1, "\(caught.stdout)\(caught.stderr)")
    #expect(caught.stdout.contains("Kept as graded") && caught.stdout.contains("wrong-03"), "\(caught.stdout)")
    let row = try #require(try Self.rows(moved.appendingPathComponent("changes.csv"))["wrong-03"])
    let old = ItemResult.points(c.expected["wrong-03"]! + 1)
    #expect(row.hasPrefix("wrong-03,\(old),\(old),,") && row.contains("changed after it was graded"), "\(row)")
    #expect(!Self.counted(counter).contains("wrong-03"))
    let book = try BatchTests.gradebook(moved)
    #expect(book["wrong-03"] == c.expected["wrong-03"]! + 1 && book["ok-json-03"] == c.expected["ok-json-03"]! + 2)
  }

  @Test("--never-lower keeps the old result of every student the change would lower")
  func neverLower() throws {
    let c = try ShardBatchTests.theClass.get()
    let root = temporaryDirectory()
    let rubric = root.appendingPathComponent("rubric.json")
    try Self.writeRubric(rubric) { _ in }
    let graded = root.appendingPathComponent("graded")
    #expect(try GradeBinary.run(["batch", "rnn-bptt", c.submissions.path, "--out", graded.path, "--rubric", rubric.path, "--jobs", "2",
                                 "--key-file", GradeBinary.keyFile.path, "--quiet", "--no-timing"]).status == 0)
    let before = try ShardClass.classFiles(graded)
    // dU is worth 1 instead of 2, and dW_h's tolerance narrows (a re-run for everyone who reads).
    try Self.writeRubric(rubric) { items in
      items["dU"]!["points"] = 1
      items["dW_h"]!["tolerance"] = ["relative": 1e-6, "absolute": 1e-8]
    }
    let counter = root.appendingPathComponent("counter")
    let r = try Self.regrade(graded, c, counter: counter, ["--never-lower"])
    #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
    // Everyone readable runs again (a changed item passes, or some item fails) but missing-00,
    // whose dW_h is missing and every other item passes.
    #expect(c.broken["missing-00"] == "dW_h")
    #expect(Self.counted(counter) == c.students.filter { c.expected[$0]! > 0 && $0 != "missing-00" })
    let rows = try Self.rows(graded.appendingPathComponent("changes.csv"))
    let lowered = c.students.filter { c.expected[$0]! > 0 && c.broken[$0] != "dU" }
    #expect(rows.keys.sorted() == lowered)
    for student in lowered {
      let old = ItemResult.points(c.expected[student]!), new = ItemResult.points(c.expected[student]! - 1)
      #expect(rows[student]!.hasPrefix("\(student),\(old),\(old),,") && rows[student]!.contains("the regrade gives \(new), the old \(old) stands (--never-lower)"), "\(rows[student]!)")
    }
    let after = try ShardClass.classFiles(graded)
    for (path, data) in before where path.hasPrefix("feedback/") {
      let student = String(path.dropFirst("feedback/".count).split(separator: ".").dropLast().joined(separator: "."))
      if lowered.contains(student) { #expect(after[path] == data, "\(path): the old feedback stands") }
    }
    #expect(try BatchTests.gradebook(graded).filter { lowered.contains($0.key) } == c.expected.filter { lowered.contains($0.key) })
  }
}
