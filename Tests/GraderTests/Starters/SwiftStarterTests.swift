import Foundation
import Testing
@testable import Grader

@Suite("Swift starters generated from the assignment")
struct SwiftStarterTests {
  static let shipped = ["backprop-basics", "rnn-bptt", "rnn-canonical", "window-lm", "ngram-lm", "lstm-lm", "gru-lm"]

  static func assignment(_ id: String) throws -> Assignment {
    try AssignmentCatalog(root: AssignmentCatalog.packageRoot.appendingPathComponent("Assignments")).load(id).0
  }

  @Test("the shipped starters are the generated ones (regenerate with `grade starter <id> --out Assignments/<id>/starter`)", arguments: shipped)
  func shippedStartersAreUpToDate(id: String) throws {
    let a = try Self.assignment(id)
    for file in SwiftStarter.files(for: a) {
      let url = a.directory.appendingPathComponent("starter").appendingPathComponent(file.name)
      let shipped = try String(contentsOf: url, encoding: .utf8)
      #expect(shipped == file.contents, "\(id)/starter/\(file.name) is out of date")
    }
  }

  @Test("Inputs has one field per input in the declared order, with the type of its rank and dtype", arguments: shipped)
  func inputsFollowTheAssignment(id: String) throws {
    let a = try Self.assignment(id)
    let source = SwiftStarter.inputs(for: a)
    var last = source.startIndex
    for input in a.inputs {
      let type = String(repeating: "[", count: input.shape.count) + (input.dtype.isFloatingPoint ? "Double" : "Int") + String(repeating: "]", count: input.shape.count)
      let field = try #require(source.range(of: "  let \(input.name): \(type)\n"), "\(input.name): \(type)")
      #expect(field.lowerBound >= last, "\(input.name) out of order")
      last = field.lowerBound
    }
  }

  @Test("every item has a function returning nil, documented with its statement and shape", arguments: shipped)
  func solutionHasOneStubPerItem(id: String) throws {
    let a = try Self.assignment(id)
    let source = SwiftStarter.solution(for: a)
    for item in a.items {
      let type = String(repeating: "[", count: item.shape.count) + "Double" + String(repeating: "]", count: item.shape.count)
      #expect(source.contains("func \(item.id)(_ p: Inputs) -> \(type)? {\n  // TODO: your code here\n  return nil\n}"), "\(item.id)")
    }
    #expect(source.components(separatedBy: "  return nil\n}").count - 1 == a.items.count)
  }

  @Test("a size comes from the lowest-rank input that shows it; T+1 gives count − 1; a size named like an input is left out")
  func sizeProperties() throws {
    let rnn = SwiftStarter.sizeProperties(try Self.assignment("rnn-bptt"))
    #expect(rnn.map(\.0) == ["T", "V", "d", "H"])
    #expect(rnn[0].1 == "tokens.count - 1")
    #expect(rnn[1].1 == "b_2.count")
    #expect(rnn[2].1 == "E.count")
    let basics = SwiftStarter.sizeProperties(try Self.assignment("backprop-basics"))
    #expect(!basics.map(\.0).contains("window"), "`window` is an input's name")
    #expect(basics.first { $0.0 == "d" }?.1 == "window.first?.count ?? 0")
  }
}
