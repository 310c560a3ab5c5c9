import Foundation
import Testing
@testable import Grader

/// The worked NumPy solutions with the bugs real students make (`Scripts/make_real_bug_fixtures.py`):
/// each failing item is named by the bug's slips, in a message that says what the bug is.
@Suite("Real students' bugs on the worked solutions")
struct RealBugTests {
  static let manifest = Result { try SlipFixtures.manifest("real-bugs") }

  static var bugs: [String] {
    guard case .success(let m) = manifest else { return [] }
    var seen: [String] = []
    for c in m.cases where !seen.contains(c.bug!) { seen.append(c.bug!) }
    return seen
  }

  @Test("the fixtures were made from the grader's inputs of today")
  func inputsAreCurrent() throws {
    try SlipFixtures.checkInputs(try Self.manifest.get(), generator: "Scripts/make_real_bug_fixtures.py")
  }

  @Test("every item the bug changes fails, and is named by the bug's slips in words that say it", arguments: bugs)
  func named(bug: String) throws {
    let m = try Self.manifest.get()
    let cases = m.cases.filter { $0.bug == bug }
    #expect(!cases.isEmpty)
    var items = 0, named = 0
    for c in cases {
      let g = try grader(c.assignment)
      let arrays = try SlipFixtures.arrays("real-bugs", c.assignment)
      for (item, o) in SlipFixtures.outcomes(c, arrays: arrays, g: g, diagnoser: Diagnoser(assignment: g.assignment)).sorted(by: { $0.key < $1.key }) {
        items += 1
        #expect(o.detected, "\(c)/\(item) passes")
        #expect(o.found.first == c.items[item], "\(c)/\(item): expected \(c.items[item]!), found \(o.found)")
        if o.found.first == c.items[item] { named += 1 }
        let message = o.diagnosis?.message ?? ""
        for words in c.message_contains ?? [] { #expect(message.contains(words), "\(c)/\(item): '\(words)' not in: \(message)") }
        for words in c.message_lacks ?? [] { #expect(!message.contains(words), "\(c)/\(item): '\(words)' in: \(message)") }
      }
    }
    print("\(bug): \(items) failing items over \(cases.count) students, \(named) named by the bug's slips")
  }

  @Test("min-char-rnn's truncation is told in terms of the item: ∂E/∂z^(i) for dW_xh, db_h, dh0, never the sum over ∂E^(t)/∂W_hh|_(i)")
  func canonicalTruncationWording() throws {
    let m = try Self.manifest.get()
    let c = try #require(m.cases.first { $0.assignment == "rnn-canonical" && $0.bug!.contains("truncated") })
    let g = try grader(c.assignment)
    let outcomes = SlipFixtures.outcomes(c, arrays: try SlipFixtures.arrays("real-bugs", c.assignment), g: g, diagnoser: Diagnoser(assignment: g.assignment))
    for item in ["dW_xh", "db_h", "dh0"] {
      let message = try #require(outcomes[item]?.diagnosis?.message)
      #expect(!message.contains("∂E^(t)/∂W_hh|_(i)"), "\(item): \(message)")
      #expect(message.contains(item == "dh0" ? "∂E/∂h^(0)" : "∂E/∂z^(i)"), "\(item): \(message)")
    }
    #expect(outcomes["dW_hh"]?.diagnosis?.message.contains("Σ_i ∂E^(t)/∂W_hh|_(i)") == true)
  }
}
