import Testing
@testable import Grader
import Jacobians
import Digest

@Suite("Hidden input sets")
struct HiddenInputsTests {
  /// The hidden set k as it used to be derived, from public data alone: the seed of
  /// "<assignment>/<student>#hidden-<k>", which anyone with the source could compute.
  static func publicSeedInputs(_ g: Autograder, student: String, set k: Int) -> [String: Tensor] {
    var rng = StudentVariant.generator(assignment: g.assignment.id, student: "\(student)#hidden-\(k)")
    return g.model.generateInputs(using: &rng)
  }

  @Test("with the key, hidden sets differ from the student's inputs, from each other, from the public seeds and from another key's; the same on every run", arguments: shippedAssignments)
  func hiddenSetsAreNew(assignment: String) throws {
    let g = try grader(assignment, key: testKey)
    let other = try grader(assignment, key: otherTestKey)
    for student in ["kim", "lee", "max"] {
      let visible = g.inputs(for: student)
      let h0 = try #require(g.hiddenInputs(for: student, set: 0)), h1 = try #require(g.hiddenInputs(for: student, set: 1))
      let old0 = Self.publicSeedInputs(g, student: student, set: 0)
      let foreign = try #require(other.hiddenInputs(for: student, set: 0))
      // Every floating-point input differs (small integer inputs such as tokens may coincide).
      for (name, tensor) in h0 where tensor.dtype.isFloatingPoint {
        #expect(tensor != visible[name], "\(assignment)/\(student): \(name) = the student's own")
        #expect(tensor != h1[name], "\(name): sets 1 and 2 agree")
        #expect(tensor != old0[name], "\(name): the old public seed's set")
        #expect(tensor != foreign[name], "\(name): another key's set")
        #expect(tensor == g.hiddenInputs(for: student, set: 0)?[name], "\(name) changes between runs")
      }
    }
  }

  @Test("without the key there is no hidden set; a graded run uses the rubric's count, at least 1")
  func onlyWithTheKey() throws {
    var g = try grader("rnn-bptt")
    #expect(g.hiddenInputs(for: "kim", set: 0) == nil)
    #expect(g.hiddenInputSetCount == 0)
    g.courseKey = testKey
    #expect(g.hiddenInputSetCount == 1)
    g.rubric.hiddenInputSets = 0
    #expect(g.hiddenInputSetCount == 1, "a graded run of code always has a hidden set")
    g.rubric.hiddenInputSets = 3
    #expect(g.hiddenInputSetCount == 3)
  }

  @Test("the seeds are HMAC-SHA256 of domain-separated messages, as documented")
  func seedDerivation() throws {
    // HMAC-SHA256(key, "hidden-inputs\0rnn-bptt\0kim\00"): its first 8 bytes, big-endian.
    let message = Array("hidden-inputs".utf8) + [0] + Array("rnn-bptt".utf8) + [0] + Array("kim".utf8) + [0] + Array("0".utf8)
    let mac = HMACSHA256.authenticationCode(key: testKey.bytes, message: message)   // RFC 4231-tested
    let expected = mac.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    #expect(testKey.hiddenInputsSeed(assignment: "rnn-bptt", student: "kim", set: 0) == expected)
    // Distinct purposes and fields never share a seed.
    let seeds: Set<UInt64> = [
      testKey.hiddenInputsSeed(assignment: "rnn-bptt", student: "kim", set: 0),
      testKey.hiddenInputsSeed(assignment: "rnn-bptt", student: "kim", set: 1),
      testKey.hiddenInputsSeed(assignment: "rnn-bptt", student: "ki", set: 0),
      testKey.hiddenInputsSeed(assignment: "rnn-bpt", student: "tkim", set: 0),
      testKey.numericSeed(assignment: "rnn-bptt", student: "kim"),
      otherTestKey.hiddenInputsSeed(assignment: "rnn-bptt", student: "kim", set: 0),
    ]
    #expect(seeds.count == 6)
  }

  @Test("code right at every set keeps its points; code that repeats its own numbers loses them", arguments: shippedAssignments)
  func hiddenChecks(assignment: String) throws {
    let g = try grader(assignment, key: testKey)
    let student = "lee"
    let visibleAnswers = correctAnswers(g, student: student)
    let hidden = try (0..<2).map { try #require(g.hiddenInputs(for: student, set: $0)) }

    var honest = g.grade(student: student, answers: visibleAnswers, kind: .code)
    g.applyHiddenChecks(to: &honest, runs: hidden.map { ($0, g.model.reference(inputs: $0).mapValues { SubmittedAnswer.value($0) }) })
    #expect(honest.allPassed, "\(honest.items.filter { $0.status != .pass }.map(\.message))")
    #expect(honest.mode == .graded)
    #expect(honest.notes.contains { $0.contains("2 hidden input sets") })

    // An item whose value is the same at every input set (ngram-lm's perplexity_uniform = V + 1)
    // is right when repeated; every other item loses its points.
    let visible = g.reference(for: student)
    let constant = Set(g.assignment.items.map(\.id).filter { id in hidden.allSatisfy { g.model.reference(inputs: $0)[id] == visible[id] } })
    var parrot = g.grade(student: student, answers: visibleAnswers, kind: .code)
    g.applyHiddenChecks(to: &parrot, runs: hidden.map { ($0, visibleAnswers) })
    #expect(parrot.score == constant.reduce(0) { $0 + g.rubric.entry($1).points })
    #expect(parrot.items.filter { !constant.contains($0.id) }.allSatisfy { $0.message.contains("not at hidden input set 1 of 2") })
    #expect(constant.count < g.assignment.items.count)
  }

  @Test("the shipped rubrics ask for one hidden input set")
  func rubricKey() throws {
    let (_, rubric) = try shipped("rnn-bptt")
    #expect(rubric.hiddenInputSets == 1)
  }
}
