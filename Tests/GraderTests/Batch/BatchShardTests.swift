import Digest
import Jacobians
import Foundation
import Testing
@testable import Grader

@Suite("Cutting a roster into shards")
struct BatchShardTests {
  /// The shards of a few ids, from Python's hashlib (the definition the Integrations README gives):
  /// python3 -c 'import hashlib, sys; print(int.from_bytes(hashlib.sha256(sys.argv[1].encode()).digest()[:8], "big") % int(sys.argv[2]))' <id> <N>
  static let pinned: [(id: String, of7: Int, of64: Int)] = [
    ("alice", 1, 47), ("bob", 1, 26), ("carol", 6, 30), ("student-0042", 5, 51), ("ünïcode", 1, 50),
  ]

  @Test("a student's shard is the first 8 bytes of SHA-256 of the id, mod N (as Python computes it)")
  func definition() {
    for p in Self.pinned {
      #expect(BatchShard.of(p.id, count: 7) == p.of7, "\(p.id)")
      #expect(BatchShard.of(p.id, count: 64) == p.of64, "\(p.id)")
    }
    // And independently of `of`: the digest read as a big-endian number.
    let digest = SHA256.hash(Array("alice".utf8))
    let word = digest[0..<8].reduce(UInt64(0)) { $0 * 256 + UInt64($1) }
    #expect(Int(word % 7) == BatchShard.of("alice", count: 7))
  }

  @Test("every student is in exactly one shard, the shards are balanced, and adding students moves nobody", arguments: [1, 2, 7, 64])
  func partition(_ count: Int) throws {
    let roster = (0..<4_000).map { String(format: "s%05d", $0) }
    let shards = try (0..<count).map { try BatchShard(index: $0, count: count) }
    var seen: [String: Int] = [:]
    for shard in shards {
      for student in roster where shard.contains(student) {
        #expect(seen[student] == nil, "\(student) in two shards")
        seen[student] = shard.index
      }
    }
    #expect(seen.count == roster.count)
    let sizes = Dictionary(grouping: seen.values, by: { $0 }).mapValues(\.count)
    let mean = Double(roster.count) / Double(count)
    // Binomial spread: at most ±6σ (σ ≤ √mean) — never hit by a fair hash, always by a broken one.
    for (index, size) in sizes { #expect(abs(Double(size) - mean) <= 6 * mean.squareRoot() + 1, "shard \(index) has \(size), mean \(mean)") }
    #expect(sizes.count == count)
    // Late submissions (and withdrawals) change no one else's shard.
    let larger = roster + (0..<500).map { "late-\($0)" }
    for student in larger.prefix(roster.count) { #expect(BatchShard.of(student, count: count) == seen[student]) }
  }

  struct ParseCase: CustomStringConvertible, Sendable {
    var spec: String
    var environment: [String: String]
    var expected: Result<BatchShard, BatchShardError>
    var description: String { "--shard \(spec) with \(environment.sorted { $0.key < $1.key })" }
  }

  static func shard(_ i: Int, _ n: Int) -> Result<BatchShard, BatchShardError> { .success(try! BatchShard(index: i, count: n)) }

  static let parseCases: [ParseCase] = [
    ParseCase(spec: "2/7", environment: [:], expected: shard(2, 7)),
    ParseCase(spec: "0/1", environment: [:], expected: shard(0, 1)),
    ParseCase(spec: "2/7", environment: ["JOB_COMPLETION_INDEX": "5"], expected: shard(2, 7)),
    ParseCase(spec: "auto/7", environment: ["JOB_COMPLETION_INDEX": "3"], expected: shard(3, 7)),
    ParseCase(spec: "7", environment: ["JOB_COMPLETION_INDEX": "6"], expected: shard(6, 7)),
    ParseCase(spec: "auto/64", environment: ["SLURM_ARRAY_TASK_ID": "18", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "64"], expected: shard(17, 64)),
    ParseCase(spec: "auto/64", environment: ["SLURM_ARRAY_TASK_ID": "0"], expected: shard(0, 64)),
    ParseCase(spec: "auto/7", environment: ["JOB_COMPLETION_INDEX": "1", "SLURM_ARRAY_TASK_ID": "4"], expected: shard(1, 7)),
    ParseCase(spec: "7/7", environment: [:], expected: .failure(.indexOutOfRange(index: 7, count: 7, source: "--shard 7/7"))),
    ParseCase(spec: "-1/7", environment: [:], expected: .failure(.indexOutOfRange(index: -1, count: 7, source: "--shard -1/7"))),
    ParseCase(spec: "x/7", environment: [:], expected: .failure(.badSpec("x/7"))),
    ParseCase(spec: "2/0", environment: [:], expected: .failure(.badSpec("2/0"))),
    ParseCase(spec: "1/2/3", environment: [:], expected: .failure(.badSpec("1/2/3"))),
    ParseCase(spec: "auto/7", environment: [:], expected: .failure(.noIndex(count: 7))),
    ParseCase(spec: "auto/7", environment: ["JOB_COMPLETION_INDEX": "9"], expected: .failure(.indexOutOfRange(index: 9, count: 7, source: "JOB_COMPLETION_INDEX=9"))),
    ParseCase(spec: "auto/7", environment: ["JOB_COMPLETION_INDEX": "two"], expected: .failure(.badVariable(name: "JOB_COMPLETION_INDEX", value: "two"))),
    ParseCase(spec: "auto/8", environment: ["SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_COUNT": "64"], expected: .failure(.countMismatch(variable: "SLURM_ARRAY_TASK_COUNT", value: 64, count: 8))),
    ParseCase(spec: "auto/8", environment: ["SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_MIN": "1"], expected: .failure(.indexOutOfRange(index: -1, count: 8, source: "SLURM_ARRAY_TASK_ID=0 − SLURM_ARRAY_TASK_MIN=1"))),
  ]

  @Test("--shard i/N, auto/N and N, the index from Kubernetes or Slurm", arguments: parseCases)
  func parse(_ c: ParseCase) {
    let result = Result { () throws(BatchShardError) in try BatchShard.parse(c.spec, environment: c.environment) }
    #expect(result == c.expected)
    if case .failure(let error) = result { #expect(error.description.hasSuffix(".") && error.description.count > 30, "\(error)") }
  }
}

@Suite("What a batch result was graded from")
struct GradeProvenanceTests {
  /// The documented layout, written out: per entry kind · path · 0x00 · length (8 bytes,
  /// big-endian) · contents, the whole stream hashed at once.
  static func documentedHash(_ entries: [(kind: String, path: String, contents: [UInt8])]) -> String {
    var stream: [UInt8] = []
    for e in entries {
      stream += Array(e.kind.utf8) + Array(e.path.utf8) + [0]
      stream += (0..<8).map { UInt8(truncatingIfNeeded: UInt64(e.contents.count) >> (56 - 8 * $0)) }
      stream += e.contents
    }
    return Hex.string(SHA256.hash(stream))
  }

  @Test("a submission's hash is the documented stream: a file, and a folder of files (one over 1 MiB, one empty), folders and a link")
  func documentedLayout() throws {
    let root = temporaryDirectory()
    var rng = SplitMix64(seed: 11)
    let big = (0..<((1 << 20) + 12_345)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    let file = root.appendingPathComponent("bo.npz")
    try Data(big).write(to: file)
    #expect(GradeProvenance.submissionSHA256(file) == Self.documentedHash([("file", "bo.npz", big)]))

    let folder = root.appendingPathComponent("bo")
    try FileManager.default.createDirectory(at: folder.appendingPathComponent("sub"), withIntermediateDirectories: true)
    try Data(big).write(to: folder.appendingPathComponent("b.bin"))
    try Data().write(to: folder.appendingPathComponent("a.txt"))
    try Data("x = 1\n".utf8).write(to: folder.appendingPathComponent("sub/solution.py"))
    try FileManager.default.createSymbolicLink(atPath: folder.appendingPathComponent("c.link").path, withDestinationPath: "b.bin")
    #expect(GradeProvenance.submissionSHA256(folder) == Self.documentedHash([
      ("file", "a.txt", []), ("file", "b.bin", big), ("link", "c.link", Array("b.bin".utf8)), ("folder", "sub", []),
      ("file", "sub/solution.py", Array("x = 1\n".utf8)),
    ]))
  }

  @Test("a submission's hash changes with any byte, name or file, and not with where it lies or the order files were made")
  func submissionHash() throws {
    let root = temporaryDirectory()
    func folder(_ name: String, _ files: [(String, String)]) throws -> URL {
      let dir = root.appendingPathComponent(name)
      for (path, text) in files {
        let url = dir.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
      }
      return dir
    }
    let a = try folder("a/ann", [("solution.py", "x = 1\n"), ("helpers/util.py", "y = 2\n")])
    let b = try folder("b/ann", [("helpers/util.py", "y = 2\n"), ("solution.py", "x = 1\n")])
    let h = GradeProvenance.submissionSHA256(a)
    #expect(h.count == 64 && h == GradeProvenance.submissionSHA256(b))
    let edited = try folder("c/ann", [("solution.py", "x = 2\n"), ("helpers/util.py", "y = 2\n")])
    let renamed = try folder("d/ann", [("solution.py", "x = 1\n"), ("helpers/utils.py", "y = 2\n")])
    let added = try folder("e/ann", [("solution.py", "x = 1\n"), ("helpers/util.py", "y = 2\n"), ("notes.txt", "")])
    // Moving bytes from one file to the next gives another hash (lengths are part of it).
    let shifted = try folder("f/ann", [("solution.py", "x = 1\ny"), ("helpers/util.py", " = 2\n")])
    let hashes = [h] + [edited, renamed, added, shifted].map(GradeProvenance.submissionSHA256)
    #expect(Set(hashes).count == hashes.count, "\(hashes)")
    // A single file: its name and bytes.
    let file = root.appendingPathComponent("ann.json")
    try Data("{}".utf8).write(to: file)
    let other = root.appendingPathComponent("ann.npz")
    try Data("{}".utf8).write(to: other)
    #expect(GradeProvenance.submissionSHA256(file) != GradeProvenance.submissionSHA256(other))
    // A link is hashed as a link (its target), never followed.
    let link = root.appendingPathComponent("link.json")
    try FileManager.default.createSymbolicLink(at: link, withDestinationURL: file)
    #expect(GradeProvenance.submissionSHA256(link) != GradeProvenance.submissionSHA256(file))
    #expect(GradeProvenance.submissionSHA256(root.appendingPathComponent("absent")) == GradeProvenance.submissionSHA256(root.appendingPathComponent("absent")))
  }

  @Test("records keep their provenance; records without one still read")
  func record() throws {
    var report = try mixedReport()
    #expect(!GradeRecord.encode(report).contains("provenance"))
    report.provenance = GradeProvenance(graderVersion: GraderVersion.current, assignmentSHA256: "a", rubricSHA256: "r", submissionSHA256: "s")
    let decoded = try GradeRecord.decode(Data(GradeRecord.encode(report).utf8))
    #expect(decoded.provenance == report.provenance)
    #expect(GradeRecord.encode(decoded) == GradeRecord.encode(report))
  }
}
