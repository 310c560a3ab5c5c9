import Foundation
import Testing
@testable import Grader

/// Every single slip of the grammar at every step of rnn-bptt, rnn-canonical, backprop-basics,
/// lstm-lm and gru-lm, and 320 random pairs (200 over the first three, 60 on each gated model),
/// made in NumPy by `Scripts/make_slip_fixtures.py`
/// (independently of the Swift search) and diagnosed here.
@Suite("Slip grammar: NumPy fixtures")
struct SlipGrammarTests {
  struct Rates {
    var items = 0, detected = 0, named = 0, unique = 0, maxEvaluations = 0
    var misses: [String] = []

    mutating func add(_ c: SlipFixtures.Case, _ item: String, _ o: SlipFixtures.Outcome) {
      items += 1
      if o.detected { detected += 1 }
      if o.named { named += 1 }
      if o.unique { unique += 1 }
      maxEvaluations = max(maxEvaluations, o.evaluations)
      if !o.named { misses.append("\(c)/\(item): expected \(c.items[item]!), found \(o.found.prefix(3))") }
    }

    func percent(_ n: Int) -> Double { 100 * Double(n) / Double(max(items, 1)) }

    func report(_ what: String) -> String {
      String(format: "%@: %d failing items; detected %.1f %%, named %.1f %% (%.1f %% with no tie); at most %d evaluations per item",
             what, items, percent(detected), percent(named), percent(unique), maxEvaluations)
        + (misses.isEmpty ? "" : "\n  not named (first 15):\n  " + misses.prefix(15).joined(separator: "\n  "))
    }
  }

  static func rates(pairs: Bool) throws -> (total: Rates, byAssignment: [String: Rates]) {
    let m = try SlipFixtures.manifest("slips")
    var total = Rates(), by: [String: Rates] = [:]
    for assignment in ["rnn-bptt", "rnn-canonical", "backprop-basics", "lstm-lm", "gru-lm"] {
      let g = try grader(assignment)
      let diagnoser = Diagnoser(assignment: g.assignment)
      let arrays = try SlipFixtures.arrays("slips", assignment)
      var r = Rates()
      for c in m.cases where c.assignment == assignment && (c.slips.count == 2) == pairs {
        for (item, o) in SlipFixtures.outcomes(c, arrays: arrays, g: g, diagnoser: diagnoser).sorted(by: { $0.key < $1.key }) {
          r.add(c, item, o)
          total.add(c, item, o)
        }
      }
      by[assignment] = r
    }
    return (total, by)
  }

  @Test("the fixtures were made from the grader's inputs of today")
  func inputsAreCurrent() throws {
    try SlipFixtures.checkInputs(try SlipFixtures.manifest("slips"), generator: "Scripts/make_slip_fixtures.py")
  }

  @Test("single slips: every failing item detected, at least 95 % named, within 200 evaluations")
  func singleSlips() throws {
    let (total, by) = try Self.rates(pairs: false)
    for (a, r) in by.sorted(by: { $0.key < $1.key }) { print(r.report("single slips, \(a)")) }
    print(total.report("single slips, all"))
    #expect(total.items > 300)
    #expect(total.detected == total.items)
    #expect(total.percent(total.named) >= 95)
    #expect(total.maxEvaluations <= 200)
    // Each gated model on its own too.
    for gated in ["lstm-lm", "gru-lm"] {
      let r = try #require(by[gated])
      #expect(r.items > 300 && r.detected == r.items, "\(gated)")
      #expect(r.percent(r.named) >= 95, "\(gated)")
    }
  }

  @Test("320 random pairs: at least 80 % of the failing items named, within 200 evaluations")
  func pairs() throws {
    let m = try SlipFixtures.manifest("slips")
    #expect(m.cases.filter { $0.slips.count == 2 }.count == 320)
    let (total, by) = try Self.rates(pairs: true)
    for (a, r) in by.sorted(by: { $0.key < $1.key }) { print(r.report("pairs, \(a)")) }
    print(total.report("pairs, all"))
    #expect(total.detected == total.items)
    #expect(total.percent(total.named) >= 80)
    #expect(total.maxEvaluations <= 200)
  }
}
